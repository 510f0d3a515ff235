package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/aba-prefecture/dataledger/ledger/datadir"
)

// TestServesTheCatalogueAndChecksAtTheDoor: ledgerd admits only catalogue-valid acts, says
// why in a 4xx JSON error naming the field, serves the catalogue, and after a restart
// still knows the registry it folded (a second registration of a catalog entry conflicts).
func TestServesTheCatalogueAndChecksAtTheDoor(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	url, stop, logs := start(t, map[string]string{"LEDGER_DATA": dir})
	var cat struct {
		Count int `json:"count"`
	}
	if getJSON(t, url+"/v1/event-types", &cat) != 200 || cat.Count != len(events.All())+len(events.KeyTypes()) {
		t.Fatalf("GET /v1/event-types: %d types", cat.Count)
	}
	var schema map[string]any
	if getJSON(t, url+"/v1/event-types/share.data_used.v1/schema", &schema) != 200 || schema["title"] != "share.data_used.v1" {
		t.Fatalf("schema: %v", schema)
	}

	ctx := context.Background()
	c := client.New(url)
	root, err := datadir.RootKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := crypto.GenerateKey()
	if err := c.Enrol(ctx, client.Enrolment{Root: root, RootPerson: "operator", Institution: "aba-stats", Key: key, Person: "tjj-li.na"}); err != nil {
		t.Fatal(err)
	}
	act := func(typ string, p events.Payload) error {
		ty, _ := events.Lookup(typ)
		stream, err := ty.StreamFor("aba-stats", p)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := events.Encode(p)
		_, _, err = c.SignAndSubmit(ctx, key, ledger.Submission{Stream: stream, Type: typ, Actor: ledger.Actor{Institution: "aba-stats", Person: "tjj-li.na"}, Payload: raw})
		return err
	}
	err = act("data.collected.v1", &events.DataCollected{Resource: "aba-stats.county-economy", Records: 12, Purpose: "经济运行监测"})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Field != "submission.payload.legal_basis" || !strings.Contains(ce.MessageZH, "第十七条") {
		t.Fatalf("collection without a legal basis: %v", err)
	}
	entry := events.All()[6].Example.(*events.CatalogEntryRegistered)
	e := *entry
	e.Resource, e.Responsible = "aba-stats.county-economy", "aba-stats"
	e.Opening = events.Opening{Attribute: domain.OpeningNone, Reason: "含个人信息"}
	if err := act("catalog.entry_registered.v1", &e); err != nil {
		t.Fatal(err)
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d:\n%s", c, logs)
	}

	url, stop, logs = start(t, map[string]string{"LEDGER_DATA": dir})
	c = client.New(url)
	err = act("catalog.entry_registered.v1", &e)
	if !errors.As(err, &ce) || ce.Status != 409 || ce.Code != "resource_exists" {
		t.Fatalf("re-registering after a restart: %v (the registry was not folded)", err)
	}
	if err := act("data.collected.v1", &events.DataCollected{Resource: "aba-stats.county-economy", Records: 12, Purpose: "经济运行监测", LegalBasis: "《中华人民共和国统计法》"}); err != nil {
		t.Fatal(err)
	}
	if c := stop(); c != exitOK {
		t.Fatalf("exit %d:\n%s", c, logs)
	}
}
