"""broadcast: approved commune announcements to loudspeaker and Zalo audio; citizen feedback to a review queue."""

__version__ = "0.1.0"
