package livetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/google/uuid"
)

// The demo's institutions the script acts as (cmd/ledgerctl/internal/scenario).
const (
	authority, authorityHead = "aba-data-bureau", "sjj-wang.li"
	holder, holderHead       = "jiuzhaigou-county", "jzg-tang.xin"
	holderResource           = "jiuzhaigou-county.tourist-flow"
	probePerson              = "probe-li.na"
	probeParty               = "org-91513200monprobe"
)

// enrol registers Probe (county maerkang) with a key and a person.
func (s *Server) enrol(t testing.TB) {
	t.Helper()
	root, err := datadir.RootKey(s.Data)
	if err != nil {
		t.Fatal(err)
	}
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s.probeKey = key
	if err := client.New(s.URL).Enrol(context.Background(), client.Enrolment{Root: root, RootPerson: authorityHead,
		Institution: Probe, NameZH: "监测探针", NameEN: "Monitoring probe", Level: "county", Kind: "organ", County: "maerkang",
		Key: key, Person: probePerson}); err != nil {
		t.Fatalf("enrolling %s: %v", Probe, err)
	}
}

// Act is what a running ledger sees after Start: a first finding against Probe (F3, a
// collection outside its catalog), refusals (an unparsable body, a forged signature, an
// unregistered key), a party suspended by the authority (Art. 42) whose next access is
// refused and recorded (F18), and one integrity failure (the publication already holds
// a different checkpoint of the size the ledger signs next: reason "rewritten").
func (s *Server) Act(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	c := client.New(s.URL)
	s.submit(t, c, s.probeKey, Probe, probePerson, events.DataCollectedV1, &events.DataCollected{Resource: Probe + ".unlisted-survey", Records: 12,
		Purpose: "经济运行监测", LegalBasis: "《中华人民共和国统计法》"}, true)
	s.refusals(t)
	auth := s.institutionKey(t, authority)
	s.submit(t, c, auth, authority, authorityHead, events.AccessSuspendedV1, &events.AccessSuspended{Suspension: "sus-monprobe-001", Party: probeParty,
		PartyKind: domain.PartyLegalPerson, Ground: domain.GroundNoSecurity, Reason: "监测演练 (monitoring drill)",
		Correction: "提交整改报告 (report the correction)"}, true)
	s.submit(t, c, s.institutionKey(t, holder), holder, holderHead, events.OpeningDataObtainedV1, &events.OpeningDataObtained{Resource: holderResource,
		Party: events.Party{Party: probeParty, PartyKind: domain.PartyLegalPerson}, Records: 10}, false)
	s.forgeNextCheckpoint(t, ctx, c)
}

// submit signs and submits one act; ok says whether it must be accepted.
func (s *Server) submit(t testing.TB, c *client.Client, key crypto.Signer, inst, person, name string, p events.Payload, ok bool) {
	t.Helper()
	ty, _ := events.Lookup(name)
	stream, err := ty.StreamFor(inst, p)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := events.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.SignAndSubmit(context.Background(), key, ledger.Submission{Stream: stream, Type: name,
		Actor: ledger.Actor{Institution: inst, Person: person}, Payload: raw})
	if (err == nil) != ok {
		t.Fatalf("%s by %s: %v (want accepted: %v)", name, inst, err, ok)
	}
}

func (s *Server) institutionKey(t testing.TB, inst string) *crypto.PrivateKey {
	t.Helper()
	k, err := crypto.ReadPrivateKeyFile(filepath.Join(s.Data, "keys", "institutions", inst+".key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// RefusalRounds is how often refusals posts each refused body: refusals then outnumber
// the live acts recorded, as when a misconfigured client keeps retrying.
const RefusalRounds = 3

// refusals posts what the ledger refuses, RefusalRounds times each: an unparsable body,
// a signature over other bytes, a key nobody registered, and another institution's key
// (key_not_bound).
func (s *Server) refusals(t testing.TB) {
	t.Helper()
	sign := func(k *crypto.PrivateKey) *ledger.Signed {
		raw, _ := events.Encode(&events.DataCollected{Resource: Probe + ".survey", Records: 1, Purpose: "测试", LegalBasis: "测试"})
		id, _ := uuid.NewV7()
		sub := ledger.Submission{ID: id.String(), Stream: "resource/" + Probe + ".survey",
			Type: events.DataCollectedV1, OccurredAt: "2025-01-02T03:04:05Z", Actor: ledger.Actor{Institution: Probe, Person: probePerson, KeyID: k.Public().ID()}, Payload: raw}
		signed, err := ledger.SignSubmission(k, sub)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	forged := sign(s.probeKey)
	forged.Signature = sign(s.institutionKey(t, holder)).Signature
	stranger, _ := crypto.GenerateKey()
	bodies := []string{`{`, body(forged), body(sign(stranger)), body(sign(s.institutionKey(t, holder)))}
	for i := range RefusalRounds * len(bodies) {
		b := bodies[i%len(bodies)]
		resp, err := http.Post(s.URL+"/v1/events", "application/json", bytes.NewReader([]byte(b)))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Fatalf("POST /v1/events %.40s…: %d %s, want a refusal", b, resp.StatusCode, out)
		}
	}
}

func body(e *ledger.Signed) string {
	return `{"submission":` + string(e.Canonical) + `,"signature":"` + base64.StdEncoding.EncodeToString(e.Signature) + `"}`
}

// forgeNextCheckpoint waits until the ledger's checkpoint covers the whole log, writes a
// checkpoint of the next size with a wrong root into the publication, signed with the
// ledger key (what a store rewritten behind the ledger's back leads to), and records one
// more act: signing its checkpoint is refused as an integrity failure.
func (s *Server) forgeNextCheckpoint(t testing.TB, ctx context.Context, c *client.Client) {
	t.Helper()
	var info client.LedgerInfo
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		i, err := c.Ledger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n, ok := s.checkpointSize(t); ok && n == i.Size {
			info = i
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint covers the log")
		}
	}
	lk, err := datadir.LedgerKey(s.Data)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := ledger.SignCheckpoint(info.Origin, info.Size+1, ledger.Hash{1}, lk)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ledger.NewDirPublisher(datadir.Paths{Dir: s.Data}.Checkpoints())
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, forged); err != nil {
		t.Fatal(err)
	}
	s.submit(t, c, s.probeKey, Probe, probePerson, events.DataCollectedV1, &events.DataCollected{Resource: Probe + ".second-survey",
		Records: 3, Purpose: "经济运行监测", LegalBasis: "《中华人民共和国统计法》"}, true)
}

// checkpointSize reads the size of GET /v1/checkpoint (the second line of the note).
func (s *Server) checkpointSize(t testing.TB) (uint64, bool) {
	t.Helper()
	resp, err := http.Get(s.URL + "/v1/checkpoint")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	lines := strings.SplitN(string(b), "\n", 3)
	if resp.StatusCode != http.StatusOK || len(lines) < 3 {
		return 0, false
	}
	n, err := strconv.ParseUint(lines[1], 10, 64)
	return n, err == nil
}
