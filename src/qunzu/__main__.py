from qunzu.entry import main

main()
