// Command kcloud is a cloud console's "Account information" page for the
// terminal and for shell scripts. Run `kcloud --help`, or see README.md.
package main

import (
	"os"

	"github.com/kcloud/kcloud/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
