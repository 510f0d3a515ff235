package client

import (
	"context"
	"net/url"
)

// Report fetches a report from the running ledger (GET /v1/reports/{kind}): kind is one
// of the kinds of `ledgerctl report`; query carries as_of, year, format, lang, resource
// and all as that command's flags do. The body is the rendered report in the format
// asked for (JSON by default). It needs a Token whose role may read the kind.
func (c *Client) Report(ctx context.Context, kind string, query url.Values) ([]byte, error) {
	path := "/v1/reports/" + url.PathEscape(kind)
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	_, body, err := c.do(ctx, "GET", path, nil)
	return body, err
}
