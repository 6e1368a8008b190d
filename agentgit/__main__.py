from agentgit.cli import main

main()
