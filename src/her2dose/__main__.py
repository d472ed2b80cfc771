from her2dose.cli.app import main

main()
