"""The review web page (`broadcast review serve`)."""
