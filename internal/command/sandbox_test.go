package command

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/notification"
	"github.com/orderform/orderform/provider/sandbox"
)

// syncBuffer is a Stderr the command writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `orderform sandbox -notify=URL` plays the seed's timeline, POSTs its
// notification, and saves the event as played.
func TestSandboxNotifies(t *testing.T) {
	got := make(chan []byte, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/notification" {
			t.Errorf("%s %s, want POST /notification", r.Method, r.URL.Path)
		}
		got <- body
		a, _ := notification.Answer{Version: "1", Name: "test", Time: time.Now()}.Marshal()
		_, _ = w.Write(a)
	}))
	defer receiver.Close()

	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sandbox-small.json"))
	if err != nil {
		t.Fatal(err)
	}
	var seed map[string]any
	if err := json.Unmarshal(data, &seed); err != nil {
		t.Fatal(err)
	}
	seed["timeline"] = []map[string]any{{"after": "0s", "order": 1001, "status": "DELIVERY", "substatus": "DELIVERY_SERVICE_RECEIVED"}}
	data, _ = json.Marshal(seed)
	seedPath, savePath := filepath.Join(dir, "seed.json"), filepath.Join(dir, "saved.json")
	if err := os.WriteFile(seedPath, data, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &syncBuffer{}
	m := &meta{Streams: Streams{Stdin: bytes.NewReader(nil), Stdout: io.Discard, Stderr: stderr}, dir: dir, relDir: "."}
	code := make(chan int, 1)
	go func() {
		code <- runSandbox(ctx, m, []string{"-listen=127.0.0.1:0", "-data=" + seedPath, "-save=" + savePath, "-notify=" + receiver.URL})
	}()
	select {
	case body := <-got:
		n, err := notification.Parse(body)
		if err != nil || n.Type != notification.OrderStatusUpdated || n.CampaignID != 21000000 || n.OrderID != 1001 ||
			n.Status != "DELIVERY" || n.Substatus != "DELIVERY_SERVICE_RECEIVED" {
			t.Errorf("notification %s: %+v, %v", body, n, err)
		}
	case c := <-code:
		t.Fatalf("sandbox exited %d before notifying:\n%s", c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no notification; stderr:\n%s", stderr.String())
	}
	cancel()
	if c := <-code; c != exitOK {
		t.Fatalf("exit %d:\n%s", c, stderr.String())
	}
	st, err := sandbox.LoadState(savePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Timeline) != 1 || st.Timeline[0].PlayedAt.IsZero() {
		t.Errorf("saved timeline %+v: the event is not marked played", st.Timeline)
	}
}
