package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestSystemdUnit: the unit passes systemd-analyze verify (with ExecStart pointing at an
// executable, since the binary is not installed here) and keeps its hardening.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("systemd/ledgerd.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=aba-ledger", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=\n", "PrivateDevices=yes", "ProtectHome=yes", "SystemCallFilter=@system-service", "RestrictAddressFamilies="} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "ledgerd")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	unit = strings.ReplaceAll(unit, "/usr/local/bin/ledgerd", exe)
	p := filepath.Join(dir, "ledgerd.service")
	if err := os.WriteFile(p, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", p).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestComposeStack: the compose file parses, builds from the Dockerfile here, runs the
// four services, and every file or directory it mounts from this checkout exists — the
// Grafana provisioning and dashboards of deploy/grafana among them.
func TestComposeStack(t *testing.T) {
	b, err := os.ReadFile("compose/stack.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build *struct {
				Context    string `yaml:"context"`
				Dockerfile string `yaml:"dockerfile"`
			} `yaml:"build"`
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"ledgerd", "postgres", "prometheus", "grafana"} {
		if _, ok := c.Services[s]; !ok {
			t.Errorf("no %s service", s)
		}
	}
	build := c.Services["ledgerd"].Build
	if build == nil {
		t.Fatal("ledgerd is not built from this checkout")
	}
	if _, err := os.Stat(filepath.Join("compose", build.Context, build.Dockerfile)); err != nil {
		t.Errorf("the Dockerfile compose builds from: %v", err)
	}
	mounted := map[string]bool{}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				continue // a named volume
			}
			p := filepath.Clean(filepath.Join("compose", src))
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
			mounted[filepath.ToSlash(p)] = true
		}
	}
	for _, want := range []string{"grafana/provisioning/datasources", "grafana/provisioning/dashboards", "grafana/dashboards", "prometheus"} {
		if !mounted[want] {
			t.Errorf("%s is not mounted", want)
		}
	}
}

// TestDockerfile: multi-stage, static (CGO_ENABLED=0) binaries of both programs, a
// non-root user. With LEDGER_DOCKER_BUILD=1 the image is built and run (needs a
// container engine, which the project's build machines lack).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(d, -1)); n < 2 {
		t.Errorf("%d stages; want a build stage and a runtime stage", n)
	}
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/ledgerd", "./cmd/ledgerctl", "ENTRYPOINT"} {
		if !strings.Contains(d, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(d)
	if user == nil || strings.HasPrefix(user[1], "0") || strings.HasPrefix(user[1], "root") {
		t.Errorf("the image does not run as a non-root user: %v", user)
	}
	if os.Getenv("LEDGER_DOCKER_BUILD") != "1" {
		t.Skip("set LEDGER_DOCKER_BUILD=1 to build the image")
	}
	out, err := exec.Command("docker", "build", "-f", "docker/Dockerfile", "-t", "aba-ledger:test", "..").CombinedOutput()
	if err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	out, err = exec.Command("docker", "run", "--rm", "--entrypoint", "/usr/local/bin/ledgerctl", "aba-ledger:test", "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run ledgerctl --version: %v\n%s", err, out)
	}
}
