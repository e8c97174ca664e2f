package guard

import "os"

var debugStacks = os.Getenv("R1GO_DEBUG") != ""
