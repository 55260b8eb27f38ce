//go:build !unix

package usage

import "os"

// take measures nothing where there is no getrusage (Windows): the
// benchmarks still run and say so.
func take() Sample { return Sample{} }

func exited(*os.ProcessState) Sample { return Sample{} }
