package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aba-prefecture/dataledger/client"
	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/aba-prefecture/dataledger/domain"
	"github.com/aba-prefecture/dataledger/domain/events"
	"github.com/aba-prefecture/dataledger/ledger"
	"github.com/google/uuid"
)

// Generator makes realistic submissions for one institution: the everyday acts on the
// data resources it catalogs (collection, aggregation, storage, processing,
// transmission), each valid for the event catalogue, so that a ledgerd checking every
// payload admits them. Safe for concurrent use (each caller brings its own rand).
type Generator struct {
	inst       string
	key        crypto.Signer
	rootPerson string
}

// Institution is the id of the institution whose acts the generator signs.
func (g *Generator) Institution() string { return g.inst }

// Key is the load institution's registered key: tests sign with it the acts the
// generator never would (an insider acting for another institution).
func (g *Generator) Key() crypto.Signer { return g.key }

// People are the load institution's officials; every act of the load names one.
var People = func() []string {
	p := make([]string, 40)
	for i := range p {
		p[i] = fmt.Sprintf("staff-%03d", i+1)
	}
	return p
}()

// loadResource is one catalog entry of the load institution.
type loadResource struct {
	suffix, zh, en, class, purpose, basis string
	items                                 []events.DataItem
}

var loadResources = []loadResource{
	{"water-meter-readings", "居民用水抄表数据", "Residential water meter readings", "能源/供水", "水费核算与漏损监测", "《城市供水条例》第二十六条",
		[]events.DataItem{{Name: "户号", Format: "string"}, {Name: "抄表日期", Format: "date"}, {Name: "用水量", Format: "number"}}},
	{"service-tickets", "供水服务工单", "Water service tickets", "公共服务", "报修受理与回访", "《城市供水条例》第二十五条",
		[]events.DataItem{{Name: "工单号", Format: "string"}, {Name: "地址", Format: "string"}, {Name: "处理状态", Format: "string"}}},
	{"pipe-network", "供水管网设施信息", "Water pipe network assets", "城乡建设", "管网维护与应急抢修", "《城镇供水管网运行、维护及安全技术规程》",
		[]events.DataItem{{Name: "管段编号", Format: "string"}, {Name: "管径", Format: "number"}, {Name: "敷设年份", Format: "integer"}}},
}

func (g *Generator) resource(r *loadResource) string { return g.inst + "." + r.suffix }

// Resources are the ids of the resources the generator's acts touch.
func (g *Generator) Resources() []string {
	out := make([]string, len(loadResources))
	for i := range loadResources {
		out[i] = g.resource(&loadResources[i])
	}
	return out
}

// setup registers the load institution (institution.registered.v1, signed by the root
// key) and catalogs its resources, so that its acts are acts of a known institution on
// resources in its catalog rather than findings. A catalog entry already registered by an
// earlier run with the same institution is kept.
func (g *Generator) setup(ctx context.Context, c *client.Client, root crypto.Signer, authority string) error {
	raw, err := events.Encode(&events.InstitutionRegistered{Institution: g.inst, NameZH: "压测机构 " + g.inst, NameEN: "Load-test institution " + g.inst,
		Level: domain.LevelPrefecture, Kind: domain.KindPublicServiceOperator})
	if err != nil {
		return err
	}
	_, _, err = c.SignAndSubmit(ctx, root, ledger.Submission{Stream: "institution/" + g.inst, Type: events.InstitutionRegisteredV1,
		Actor: ledger.Actor{Institution: authority, Person: g.rootPerson}, Payload: raw})
	if err := exists(err, "institution_exists"); err != nil {
		return err
	}
	// Its officials (第七条): the first registers itself, then the others.
	for _, person := range People {
		raw, err := events.Encode(&events.PersonRegistered{Person: person, Title: "压测人员 load-test staff"})
		if err != nil {
			return err
		}
		if _, _, err := c.SignAndSubmit(ctx, g.key, ledger.Submission{Stream: "institution/" + g.inst, Type: events.PersonRegisteredV1,
			Actor: ledger.Actor{Institution: g.inst, Person: People[0]}, Payload: raw}); err != nil {
			return fmt.Errorf("registering official %s: %w", person, err)
		}
	}
	for i := range loadResources {
		if err := g.catalog(ctx, c, &loadResources[i]); err != nil {
			return err
		}
	}
	return nil
}

// catalog registers one of the institution's resources.
func (g *Generator) catalog(ctx context.Context, c *client.Client, r *loadResource) error {
	raw, err := events.Encode(&events.CatalogEntryRegistered{CatalogEntry: events.CatalogEntry{
		Resource: g.resource(r), TitleZH: r.zh, TitleEN: r.en, Classification: r.class, Responsible: g.inst,
		Formats: []string{"json", "csv"}, Items: r.items, UpdatePeriod: domain.PeriodDaily,
		Sharing:           events.Sharing{Attribute: domain.SharingUnconditional, Method: domain.MethodAPI},
		UsageRequirements: "仅用于履行法定职责，不得向第三方提供", Opening: events.Opening{Attribute: domain.OpeningNone, Reason: "含用户地址等个人信息"},
	}})
	if err != nil {
		return err
	}
	_, _, err = c.SignAndSubmit(ctx, g.key, ledger.Submission{Stream: "resource/" + g.resource(r), Type: events.CatalogEntryRegisteredV1,
		Actor: ledger.Actor{Institution: g.inst, Person: People[0]}, Payload: raw})
	if err := exists(err, "resource_exists"); err != nil {
		return fmt.Errorf("cataloging %s: %w", g.resource(r), err)
	}
	return nil
}

// exists forgives the refusal code of a registration an earlier run already made.
func exists(err error, code string) error {
	if ce, ok := errors.AsType[*client.Error](err); ok && ce.Code == code {
		return nil
	}
	return err
}

// Sign makes and signs one submission, a fresh UUIDv7 id, acted a little before now.
func (g *Generator) Sign(r *rand.Rand) (*ledger.Signed, error) {
	res := &loadResources[r.IntN(len(loadResources))]
	id := g.resource(res)
	records := int64(1 + r.IntN(5000))
	system := g.inst + ".business-system"
	var typ string
	var p events.Payload
	switch w := r.IntN(100); {
	case w < 45:
		typ = events.DataCollectedV1
		p = &events.DataCollected{Resource: id, Records: records, Purpose: res.purpose, LegalBasis: res.basis,
			Verification: []domain.Verification{domain.VerifyIDDocument}}
	case w < 70:
		typ = events.DataAggregatedV1
		p = &events.DataAggregated{Resource: id, Records: records, Target: domain.TargetTheme, Database: "theme.public-utilities"}
	case w < 80:
		typ = events.DataStoredV1
		p = &events.DataStored{DataHandled: events.DataHandled{Resource: id, Records: records, System: system, Purpose: "集中存储 (central storage)"}}
	case w < 90:
		typ = events.DataProcessedV1
		p = &events.DataProcessed{DataHandled: events.DataHandled{Resource: id, Records: records, System: system, Purpose: res.purpose},
			Operation: "按片区汇总 (aggregate by district)"}
	default:
		typ = events.DataTransmittedV1
		p = &events.DataTransmitted{DataHandled: events.DataHandled{Resource: id, Records: records, System: system, Purpose: "归集至州大数据平台"},
			To: "aba-public-data-platform", Encrypted: true}
	}
	raw, err := events.Encode(p)
	if err != nil {
		return nil, err
	}
	uid, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	// Acts are recorded a little after they happen.
	at := time.Now().Add(-time.Duration(r.IntN(3600)) * time.Second).UTC()
	return ledger.SignSubmission(g.key, ledger.Submission{
		ID: uid.String(), Stream: "resource/" + id, Type: typ, OccurredAt: at.Format(time.RFC3339Nano),
		Actor:   ledger.Actor{Institution: g.inst, Person: People[r.IntN(len(People))], KeyID: g.key.Public().ID()},
		Payload: raw,
	})
}
