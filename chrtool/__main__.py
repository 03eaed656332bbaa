from chrtool.cli import main

main()
