package sandbox

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/orderform/orderform/internal/atomicfile"
)

// Persistence: the state file.

// LoadState reads and validates a state file.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load sandbox state: %w", err)
	}
	st, err := ParseState(data)
	if err != nil {
		return nil, fmt.Errorf("load sandbox state %s: %w", path, err)
	}
	return st, nil
}

// Save writes the current state to path atomically (a temporary file renamed
// over it), readable by the owner only: it holds API keys and personal data.
func (s *Server) Save(path string) error {
	data, err := json.MarshalIndent(s.Snapshot(), "", "  ")
	if err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("save sandbox state: %w", err)
	}
	return nil
}
