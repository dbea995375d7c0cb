complete --keep-order --exclusive --command goalie --arguments "(GOALIE_COMPLETE=fish goalie -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
