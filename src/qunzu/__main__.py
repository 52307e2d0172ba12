from qunzu.cli import main

main()
