// Command orderform keeps Yandex Market seller orders in the state declared
// in HCL files: plan shows the difference, apply closes it.
package main

import (
	"os"

	"github.com/orderform/orderform/internal/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:], command.Streams{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
