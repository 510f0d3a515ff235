-- Read models of the audit ledger (projections/readmodel; docs/readmodels.md).
-- Written by ledgerd's followers; read by reports, and by Grafana's PostgreSQL data
-- source through the views below. Never written by hand: `ledgerctl rebuild NAME`
-- folds a model again from the log.

-- One row per read model: its fold state as of position (entries folded), saved
-- atomically with the rows of its current view.
CREATE TABLE readmodel_snapshots (
    name      text        PRIMARY KEY,
    fold      text        NOT NULL,  -- the fold code that wrote state (FoldIdentity)
    position  bigint      NOT NULL,  -- entries folded: the next seq the model needs
    last_hash bytea       NOT NULL,  -- hash of entry position-1
    saved_at  timestamptz NOT NULL,
    state     bytea       NOT NULL,
    state_sm3 bytea       NOT NULL
);

-- The model's report as of the day it was saved, one row per report row, in both
-- languages: cells in English, cells_zh in Chinese, with the same column keys as
-- `ledgerctl report KIND --format json` and "<key>_code" for coded cells.
CREATE TABLE readmodel_rows (
    model    text    NOT NULL,
    section  text    NOT NULL,
    row_no   integer NOT NULL,
    as_of    date    NOT NULL,
    position bigint  NOT NULL,
    cells    jsonb   NOT NULL,
    cells_zh jsonb   NOT NULL,
    PRIMARY KEY (model, section, row_no)
);

-- A report's "—" (no value) and other text as a day, or NULL.
CREATE FUNCTION readmodel_day(t text) RETURNS date LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN t ~ '^\d{4}-\d{2}-\d{2}$' THEN t::date END $$;

-- Institutions with their county ("prefecture" for the prefecture level), from the
-- assessment's scorecards.
CREATE VIEW readmodel_institutions AS
SELECT cells->>'institution' AS institution, cells->>'name' AS name_en, cells_zh->>'name' AS name_zh,
       cells->>'county' AS county, as_of, position
FROM readmodel_rows WHERE model = 'assessment' AND section = 'institutions';

-- Every finding (penalty trigger, 第四十一条/第四十二条) as of the day saved.
CREATE VIEW readmodel_findings AS
SELECT r.cells->>'rule' AS rule, r.cells->>'title' AS title_en, r.cells_zh->>'title' AS title_zh,
       r.cells->>'citation' AS citation_en, r.cells_zh->>'citation' AS citation_zh,
       r.cells->>'institution' AS institution, i.county,
       r.cells->>'subject' AS subject, NULLIF(r.cells->>'deadline', '—') AS deadline,
       readmodel_day(r.cells->>'arose') AS arose, r.cells->>'state_code' AS state,
       r.cells->>'state' AS state_en, r.cells_zh->>'state' AS state_zh,
       r.cells->>'policy' AS policy, r.as_of, r.position
FROM readmodel_rows r LEFT JOIN readmodel_institutions i ON i.institution = r.cells->>'institution'
WHERE r.model = 'findings' AND r.section = 'findings';

-- Every obligation with a deadline (D1…D12) as of the day saved.
CREATE VIEW readmodel_obligations AS
SELECT r.cells->>'deadline' AS deadline, r.cells->>'title' AS title_en, r.cells_zh->>'title' AS title_zh,
       r.cells->>'institution' AS institution, i.county, r.cells->>'subject' AS subject,
       readmodel_day(r.cells->>'start') AS start, readmodel_day(r.cells->>'due') AS due,
       readmodel_day(r.cells->>'met_day') AS met, r.cells->>'state_code' AS state,
       r.cells->>'state' AS state_en, r.cells_zh->>'state' AS state_zh,
       NULLIF(r.cells->>'late_workdays', '')::integer AS late_workdays, r.as_of, r.position
FROM readmodel_rows r LEFT JOIN readmodel_institutions i ON i.institution = r.cells->>'institution'
WHERE r.model = 'obligations' AND r.section = 'obligations';

-- The annual assessment (第五条、第六条、第四十三条) in long form: one row per institution
-- or county and measure, with the measure's ratio (0–1) where it was scored.
CREATE VIEW readmodel_assessment AS
SELECT CASE r.section WHEN 'institutions' THEN 'institution' ELSE 'county' END AS scope,
       COALESCE(r.cells->>'institution', r.cells->>'county') AS id, r.cells->>'county' AS county,
       left(e.key, -5) AS measure,
       CASE WHEN e.value ~ '^[0-9]+(\.[0-9]+)?$' THEN e.value::numeric END AS ratio, r.as_of, r.position
FROM readmodel_rows r, jsonb_each_text(r.cells) AS e(key, value)
WHERE r.model = 'assessment' AND r.section IN ('institutions', 'counties')
  AND e.key LIKE '%\_code' AND e.value ~ '^[0-9]+(\.[0-9]+)?$';
