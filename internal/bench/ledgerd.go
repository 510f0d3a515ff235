package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
)

// startWait bounds how long a started ledgerd may take to answer.
const startWait = time.Minute

// ledgerdProc is a ledgerd the soak started, with its temporary data directory.
type ledgerdProc struct {
	cmd    *exec.Cmd
	dir    string
	keep   bool
	log    *os.File
	done   chan error
	client *client.Client
}

// startLedgerd starts cfg.Ledgerd on a fresh data directory and a free loopback port,
// with access control on and a security officer's token for the soak's reads (no read
// rate limit: the soak paces itself), and waits until it answers.
func startLedgerd(ctx context.Context, cfg *SoakConfig) (*ledgerdProc, error) {
	if cfg.Ledgerd == "" {
		return nil, errors.New("no ledgerd binary to start and no server given")
	}
	dir, err := os.MkdirTemp(cfg.Dir, "soak-")
	if err != nil {
		return nil, fmt.Errorf("the soak's data directory: %w", err)
	}
	p := &ledgerdProc{dir: dir, keep: cfg.Keep, done: make(chan error, 1)}
	tok, err := officerToken(filepath.Join(dir, "credentials.json"))
	if err != nil {
		p.remove()
		return nil, err
	}
	addr, err := freePort()
	if err != nil {
		p.remove()
		return nil, err
	}
	if p.log, err = os.Create(filepath.Join(dir, "ledgerd.log")); err != nil {
		p.remove()
		return nil, fmt.Errorf("ledgerd's log: %w", err)
	}
	p.cmd = exec.Command(cfg.Ledgerd, "--data", filepath.Join(dir, "ledger"), "--listen", addr,
		"--credentials", filepath.Join(dir, "credentials.json"), "--read-rate", "0", "--log-format", "text", "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.remove()
		return nil, fmt.Errorf("starting %s: %w", cfg.Ledgerd, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	p.client = client.New("http://" + addr)
	p.client.Token = tok
	cfg.say("ledgerd %s on %s, data in %s", cfg.Ledgerd, addr, dir)
	if err := p.ready(ctx); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// officerToken writes a credentials file holding one security officer's token and
// returns the token.
func officerToken(path string) (string, error) {
	tok, cred, err := auth.NewToken(auth.RoleSecurityOfficer, "", "soak-officer", time.Now().Add(24*time.Hour), auth.DefaultKDF)
	if err != nil {
		return "", fmt.Errorf("the soak's token: %w", err)
	}
	f := &auth.File{}
	if err := f.Add(cred); err != nil {
		return "", fmt.Errorf("the soak's token: %w", err)
	}
	if err := auth.WriteFile(path, f); err != nil {
		return "", fmt.Errorf("the soak's credentials: %w", err)
	}
	return tok, nil
}

// freePort picks a loopback address no one listens on.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// ready waits until the server answers GET /v1/ledger, or fails if it exits first.
func (p *ledgerdProc) ready(ctx context.Context) error {
	deadline := time.Now().Add(startWait)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err
			return fmt.Errorf("ledgerd exited on start (%v): %s", err, p.tail())
		default:
		}
		c, cancel := context.WithTimeout(ctx, time.Second)
		probe := *p.client
		probe.RetryFor = time.Millisecond
		_, err := probe.Ledger(c)
		cancel()
		if err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("ledgerd did not answer within %v: %s", startWait, p.tail())
}

// stop signals ledgerd to drain and waits for it; an exit other than a clean one is an
// error, with the end of its log.
func (p *ledgerdProc) stop() error {
	defer p.remove()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case err = <-p.done:
	case <-time.After(startWait):
		_ = p.cmd.Process.Kill()
		err = errors.Join(errors.New("did not stop on SIGTERM"), <-p.done)
	}
	if err != nil {
		return fmt.Errorf("ledgerd: %w: %s", err, p.tail())
	}
	return nil
}

// tail is the end of ledgerd's log, for an error message.
func (p *ledgerdProc) tail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "ledgerd.log"))
	b = bytes.TrimSpace(b)
	if len(b) > 600 {
		b = b[len(b)-600:]
	}
	return strings.ReplaceAll(string(b), "\n", " | ")
}

func (p *ledgerdProc) remove() {
	if p.log != nil {
		p.log.Close()
	}
	if !p.keep {
		os.RemoveAll(p.dir)
	}
}
