package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/privacy"
)

// seed registers an institution key with the data directory's root key and records one
// catalogue-valid event through c; it returns the event id.
func seed(t *testing.T, c *client.Client, dir string) string {
	t.Helper()
	ctx := context.Background()
	info, err := c.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	_ = info
	if err := c.Enrol(ctx, client.Enrolment{Root: root, RootPerson: "root", Institution: "aba-health", Key: k, Person: "clerk-1"}); err != nil {
		t.Fatal(err)
	}
	ev, _ := jsonRaw(map[string]any{"resource": "r-0001", "records": 3, "purpose": "年度统计",
		"legal_basis": "《中华人民共和国统计法》第七条", "verification": []string{"id_document"}})
	s, _, err := c.SignAndSubmit(ctx, k, ledger.Submission{Stream: "resource/r-0001", Type: "data.collected.v1",
		Actor: ledger.Actor{Institution: "aba-health", Person: "clerk-1"}, Payload: ev})
	if err != nil {
		t.Fatal(err)
	}
	return s.Submission.ID
}

func get(t *testing.T, hc *http.Client, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestDefaultReadsNeedCredentials: `ledgerd --data D` out of the box takes signed
// submissions, refuses reads of event data without a credential, serves them with one,
// audits them, decrypts for a decrypting role with a key store, and runs in open mode
// only when told --auth=dev.
func TestDefaultReadsNeedCredentials(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "data")
	if _, err := privacy.GenerateKEKFile(filepath.Join(tmp, "kek")); err != nil {
		t.Fatal(err)
	}
	url, stop, logs := start(t, nil, "--data", dir, "--keystore", filepath.Join(tmp, "ks"), "--kek-file", filepath.Join(tmp, "kek"))
	id := seed(t, client.New(url), dir)
	ev := url + "/v1/events/" + id
	if c := get(t, http.DefaultClient, ev, ""); c != 401 {
		t.Fatalf("read without a credential: %d", c)
	}
	if c := get(t, http.DefaultClient, url+"/v1/checkpoint", ""); c != 200 {
		t.Fatalf("checkpoint: %d", c)
	}
	// A token added while the server runs is honoured (the file is re-read).
	credPath := filepath.Join(dir, "access", "credentials.json")
	tok, cred, err := auth.NewToken(auth.RoleSecurityOfficer, "", "officer-1", time.Time{}, auth.DefaultKDF)
	if err != nil {
		t.Fatal(err)
	}
	f := &auth.File{}
	f.Add(cred)
	if err := auth.WriteFile(credPath, f); err != nil {
		t.Fatal(err)
	}
	var code int
	for range 40 {
		if code = get(t, http.DefaultClient, ev, tok); code == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 200 {
		t.Fatalf("read with an officer's token: %d", code)
	}
	if c := get(t, http.DefaultClient, ev+"/plaintext", tok); c != 200 {
		t.Fatalf("plaintext route with a key store: %d", c)
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d\n%s", c, logs)
	}
	n, _, err := auth.VerifyAuditFile(filepath.Join(dir, "access", "audit.jsonl"))
	if err != nil || n < 3 {
		t.Fatalf("audit log: %d records, %v", n, err)
	}
	if strings.Contains(logs.String(), tok[len(tok)-20:]) {
		t.Fatal("the token appears in the server log")
	}
	for _, want := range []string{`"msg":"access control"`, `"msg":"read-audit log closed"`, `"msg":"key store open"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s", want)
		}
	}

	url, stop, logs = start(t, nil, "--data", dir, "--auth", "dev")
	if c := get(t, http.DefaultClient, url+"/v1/events/"+id, ""); c != 200 {
		t.Fatalf("dev mode read: %d", c)
	}
	stop()
	if !strings.Contains(logs.String(), "ACCESS CONTROL IS OFF") {
		t.Error("dev mode does not warn")
	}
}

func TestAccessFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--auth", "off"},
		{"--tls-cert", "x.pem"},
		{"--client-ca", "ca.pem"},
		{"--read-rate", "-1"},
		{"--kek-file", "k"},
		{"--keystore", "ks"},
	} {
		var out syncBuffer
		if c := run(context.Background(), args, func(string) string { return "" }, &out, nil); c != exitUsage {
			t.Errorf("%v: exit %d", args, c)
		}
	}
}

type pki struct {
	caPEM             []byte
	serverCert        tls.Certificate
	client            tls.Certificate
	clientX509        *x509.Certificate
	stranger          tls.Certificate
	certFile, keyFile string
	caFile            string
}

func newCert(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, k
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, k, der
}

func tlsPair(t *testing.T, der []byte, k *ecdsa.PrivateKey) tls.Certificate {
	kd, _ := x509.MarshalECPrivateKey(k)
	c, err := tls.X509KeyPair(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t *testing.T, dir string) *pki {
	now := time.Now()
	ca, caKey, caDER := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Aba ledger test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	_, sk, sDER := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ledgerd"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	cc, ck, cDER := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "officer-2"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, ca, caKey)
	// A certificate from a CA the server does not trust.
	oca, ocaKey, _ := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(4), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil, nil)
	_, xk, xDER := newCert(t, &x509.Certificate{SerialNumber: big.NewInt(5), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}, oca, ocaKey)
	p := &pki{caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		client: tlsPair(t, cDER, ck), clientX509: cc, stranger: tlsPair(t, xDER, xk), serverCert: tlsPair(t, sDER, sk)}
	p.certFile, p.keyFile, p.caFile = filepath.Join(dir, "server.pem"), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.pem")
	os.WriteFile(p.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: sDER}), 0o600)
	kd, _ := x509.MarshalECPrivateKey(sk)
	os.WriteFile(p.keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	os.WriteFile(p.caFile, p.caPEM, 0o600)
	return p
}

// TestMutualTLS: a client certificate from the configured CA, registered in the
// credentials file, is a credential; an unregistered one is 401; one from another CA
// fails the handshake.
func TestMutualTLS(t *testing.T) {
	tmp := t.TempDir()
	p := newPKI(t, tmp)
	credPath := filepath.Join(tmp, "credentials.json")
	cred, err := auth.CertCredential(p.clientX509, auth.RoleSecurityOfficer, "", "officer-2")
	if err != nil {
		t.Fatal(err)
	}
	f := &auth.File{}
	f.Add(cred)
	if err := auth.WriteFile(credPath, f); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "data")
	url, stop, logs := start(t, nil, "--data", dir, "--tls-cert", p.certFile, "--tls-key", p.keyFile, "--client-ca", p.caFile, "--credentials", credPath)
	url = "https://" + strings.TrimPrefix(url, "http://")
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.caPEM)
	mk := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}}}
	}
	id := seed(t, &client.Client{BaseURL: url, HTTP: mk()}, dir)
	if c := get(t, mk(p.client), url+"/v1/events/"+id, ""); c != 200 {
		t.Fatalf("registered client certificate: %d", c)
	}
	if c := get(t, mk(), url+"/v1/events/"+id, ""); c != 401 {
		t.Fatalf("no client certificate: %d", c)
	}
	// Go's client only offers a certificate the server's CA list names; force it.
	force := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &p.stranger, nil }}}}
	if resp, err := force.Get(url + "/v1/events/" + id); err == nil {
		resp.Body.Close()
		t.Fatalf("a certificate from an untrusted CA was accepted: %d", resp.StatusCode)
	}
	stop()
	raw, _ := os.ReadFile(filepath.Join(dir, "access", "audit.jsonl"))
	if !strings.Contains(string(raw), `"person":"officer-2"`) || !strings.Contains(string(raw), `"credential":"`+cred.ID+`"`) {
		t.Fatalf("the certificate's reads are not audited under its person:\n%s\n%s", raw, logs)
	}
}

func jsonRaw(v any) ([]byte, error) { return json.Marshal(v) }
