package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aba-prefecture/dataledger/ledger/bundle"
)

// getJSON reads a JSON answer into v.
func (c *Client) getJSON(ctx context.Context, path string, v any) error {
	_, body, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: the answer is not what the server documents: %w", path, err)
	}
	return nil
}

// InclusionProof fetches the audit path of entry seq in the tree of size entries (nil:
// the latest checkpoint's). It carries the entry's bytes, so it needs a Token whose role
// may read the entry.
func (c *Client) InclusionProof(ctx context.Context, seq uint64, size *uint64) (*InclusionProof, error) {
	path := "/v1/proofs/inclusion?seq=" + strconv.FormatUint(seq, 10)
	if size != nil {
		path += "&size=" + strconv.FormatUint(*size, 10)
	}
	var p InclusionProof
	if err := c.getJSON(ctx, path, &p); err != nil {
		return nil, fmt.Errorf("inclusion proof of %d: %w", seq, err)
	}
	return &p, nil
}

// ConsistencyProof fetches the proof that the tree of from entries is a prefix of the
// tree of to entries (nil: the latest checkpoint's). Public.
func (c *Client) ConsistencyProof(ctx context.Context, from uint64, to *uint64) (*ConsistencyProof, error) {
	path := "/v1/proofs/consistency?from=" + strconv.FormatUint(from, 10)
	if to != nil {
		path += "&to=" + strconv.FormatUint(*to, 10)
	}
	var p ConsistencyProof
	if err := c.getJSON(ctx, path, &p); err != nil {
		return nil, fmt.Errorf("consistency proof from %d: %w", from, err)
	}
	return &p, nil
}

// Cosign hands the ledger a checkpoint note carrying witness cosignatures (POST
// /v1/checkpoint/cosignatures) and returns the witnesses whose cosignatures it kept.
func (c *Client) Cosign(ctx context.Context, note []byte) ([]string, error) {
	_, _, body, err := c.send(ctx, call{method: http.MethodPost, path: "/v1/checkpoint/cosignatures", ctype: "text/plain; charset=utf-8", body: note})
	if err != nil {
		return nil, err
	}
	var r CosignatureResult
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("the ledger's answer to a cosignature: %w", err)
	}
	return r.Accepted, nil
}

// ExportBundle asks the running ledger to record an export and answer the evidence
// bundle (POST /v1/bundles). The bundle is decoded strictly and must name the export the
// server says it recorded; bundle.Verify (ledgerctl verify-bundle) is what checks it.
// It needs a Token of an authority or security officer.
func (c *Client) ExportBundle(ctx context.Context, req bundle.ServerRequest) (*bundle.Bundle, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	// Not retried: a lost answer means the export may be recorded; send again knowingly.
	once := *c
	once.RetryFor = -1
	_, hdr, out, err := once.send(ctx, call{method: http.MethodPost, path: "/v1/bundles", ctype: "application/json", body: body})
	if err != nil {
		return nil, err
	}
	b, err := bundle.Read(bytes.NewReader(out))
	if err != nil {
		return nil, fmt.Errorf("the answer is not an evidence bundle: %w", err)
	}
	if h := hdr.Get(ExportSeqHeader); h != strconv.FormatUint(b.ExportSeq, 10) {
		return nil, fmt.Errorf("the server says the export is entry %q, the bundle says %d", h, b.ExportSeq)
	}
	return b, nil
}

// Snapshot opens GET /v1/snapshot: the store copy as a tar stream, read by the caller
// (it is large, so not buffered, and not retried). Only identity encoding is accepted:
// a compressed answer nobody asked for is refused before a byte of it is read, so that
// what the caller writes is no more than what was sent.
func (c *Client) Snapshot(ctx context.Context) (io.ReadCloser, error) {
	body, _, err := c.snapshotStream(ctx, http.MethodGet, "/v1/snapshot", nil)
	return body, err
}

// Backup is POST /v1/backups: the server records the backup (ledger.backup_taken.v1, by
// the token's person) and answers the snapshot stream that holds that record, whose
// position it returns. Not retried: a lost answer means the backup may be recorded.
func (c *Client) Backup(ctx context.Context, r BackupRequest) (io.ReadCloser, uint64, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, 0, err
	}
	body, hdr, err := c.snapshotStream(ctx, http.MethodPost, "/v1/backups", b)
	if err != nil {
		return nil, 0, err
	}
	seq, err := strconv.ParseUint(hdr.Get(BackupSeqHeader), 10, 64)
	if err != nil {
		body.Close()
		return nil, 0, fmt.Errorf("the answer names no backup record (%s): %w", BackupSeqHeader, err)
	}
	return body, seq, nil
}

// snapshotStream sends one request whose answer is a snapshot stream.
func (c *Client) snapshotStream(ctx context.Context, method, path string, body []byte) (io.ReadCloser, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, rd)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept-Encoding", "identity")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTP
	if hc == nil {
		hc = streamHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	if enc := encodings(resp.Header.Values("Content-Encoding")); enc != "" {
		resp.Body.Close()
		return nil, nil, fmt.Errorf("%s, answered with Content-Encoding %s, which was not asked for: refused, nothing was read or written (服务器返回了未请求的 %s 编码，已拒绝，未读取也未写入任何内容)", resp.Status, enc, enc)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, nil, decodeError(resp.StatusCode, b)
	}
	return resp.Body, resp.Header, nil
}

// streamHTTP has no overall timeout (a large store takes as long as it takes) but gives
// up on a server that does not answer, and never asks for compression.
var streamHTTP = func() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = 2 * time.Minute
	tr.DisableCompression = true
	return &http.Client{Transport: tr}
}()

// encodings lists the content codings of an answer other than identity ("" for none).
func encodings(values []string) string {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "identity") {
				out = append(out, e)
			}
		}
	}
	return strings.Join(out, ", ")
}
