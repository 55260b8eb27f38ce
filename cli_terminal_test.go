//go:build linux

package main

// End-to-end tests of what a person at a terminal sees: apply's question
// (asked only when standard input is a terminal, so the test gives it a
// pseudo-terminal) and the retries of an API that cannot be reached, shown
// while they happen.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orderform/orderform/provider/sandbox"
)

// atTerminal runs orderform in e's directory with standard input a
// terminal (openPTY, plan_color_test.go) on which answer has been typed.
func (e *applyEnv) atTerminal(answer string, args ...string) finished {
	e.t.Helper()
	master, slave := openPTY(e.t)
	if _, err := master.WriteString(answer + "\n"); err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "orderform", args...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "YANDEX_MARKET_ENDPOINT="+e.url, "YANDEX_MARKET_API_KEY="+testKey,
		"YANDEX_MARKET_BUSINESS_ID=", "NO_COLOR=1", "ORDERFORM_LOG=", "ORDERFORM_QUOTAS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, &stdout, &stderr
	err := cmd.Run()
	r := finished{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		e.t.Fatalf("orderform %s: %v", strings.Join(args, " "), err)
	}
	return r
}

const blockedAndChangeHCL = `provider "yandex_market" {
  campaign_id = 21000000
}

order "1001" {
  track {
    code                = "RP123456789RU"
    delivery_service_id = 51
  }
}

order "1003" {
  track {
    code                = "RP000000003RU"
    delivery_service_id = 51
  }
}
`

// apply with a blocked order: before asking, it says which order it will
// change and that the blocked one will not be touched, in the singular;
// "yes" changes that order only, anything else nothing.
func TestApplyQuestionSaysWhatIsNotTouched(t *testing.T) {
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": blockedAndChangeHCL})
	const told = "Error: order.1003: track cannot be changed\n"
	const said = "\norderform will change 1 order: order.1001.\n" +
		"It will not touch 1 blocked order (see the error above): order.1003.\n\n" +
		"Do you want to make these changes to 1 order?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "

	r := e.atTerminal("no", "apply", "-no-color")
	if r.code != 1 {
		t.Fatalf("apply answered no: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantContains(t, "apply answered no", r.stdout, told, said+"\nApply cancelled.\n")
	if i, j := strings.Index(r.stdout, told), strings.Index(r.stdout, said); j >= 0 && i > j {
		t.Errorf("the question comes before the error it refers to:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "1 orders") {
		t.Errorf("apply says \"1 orders\":\n%s", r.stdout)
	}
	if n := e.effectiveWrites(0); n != 0 {
		t.Errorf("apply answered no made %d writes, want 0", n)
	}

	r = e.atTerminal("yes", "apply", "-no-color", "-wait=0")
	if r.code != 1 { // the blocked order makes the run fail
		t.Fatalf("apply answered yes: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantContains(t, "apply answered yes", r.stdout, said)
	e.wantWritesOnce([]int64{1001})
	e.wantField(1001, "tracks", "RP123456789RU@51")
	e.wantField(1003, "status", "DELIVERED")
	if n := e.effectiveWrites(1003); n != 0 {
		t.Errorf("the blocked order got %d writes, want 0", n)
	}
}

// An endpoint that refuses connections: each retry is shown on stderr as it
// happens (the run is still going when the first one appears), not 11 s of
// silence and then the error.
func TestUnreachableEndpointShowsRetries(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	e := newApplyEnv(t, nil, sandbox.Options{}, map[string]string{"main.hcl": blockedAndChangeHCL})

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "orderform", "plan", "-no-color")
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), "YANDEX_MARKET_ENDPOINT="+refused, "YANDEX_MARKET_API_KEY="+testKey,
		"YANDEX_MARKET_BUSINESS_ID=", "NO_COLOR=1", "ORDERFORM_LOG=", "ORDERFORM_QUOTAS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	retry := regexp.MustCompile(`^get_campaign: dial tcp 127\.0\.0\.1:\d+: connect: connection refused; retrying in [0-9.]+m?s \(attempt 2 of 8\)$`)
	var seen []string
	for line := range lines {
		seen = append(seen, line)
		if retry.MatchString(line) {
			break
		}
	}
	if len(seen) == 0 || !retry.MatchString(seen[len(seen)-1]) {
		t.Fatalf("no retry line on stderr before the run ended; stderr:\n%s", strings.Join(seen, "\n"))
	}
	// Still running: the line came while retrying, not with the end.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("the run had ended when its first retry was shown: %v", err)
	}
	for line := range lines {
		seen = append(seen, line)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("interrupted plan: %v, want exit 1; stderr:\n%s", err, strings.Join(seen, "\n"))
	}
	if n := len(e.srv.Calls()); n != 0 {
		t.Errorf("the sandbox got %d calls, want 0", n)
	}
}
