from her2dose.cli import main

main()
