from broadcast.cli.root import main

main()
