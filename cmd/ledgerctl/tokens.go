package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aba-prefecture/dataledger/auth"
	"github.com/aba-prefecture/dataledger/client"
	"github.com/spf13/cobra"
)

func init() { register(newTokensCmd) }

func newTokensCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "tokens",
		Short: "Manage ledgerd's read credentials: hashed bearer tokens and client certificates 管理读取凭据",
		Long: `Manage the credentials file ledgerd reads (--credentials, default DATA/access/credentials.json).

Roles (角色): authority (数据主管部门), security_officer (安全管理员), reviewer (考核评审),
institution (单位; reads its own data only; needs --institution), submitter (提交系统; no reads;
needs --institution). A token is printed once, when it is made: the file keeps only an
Argon2id hash of it. ledgerd re-reads the file within a second of a change, so add and
revoke take effect without a restart. See docs/access.md.`,
	}
	c.AddCommand(newTokensAddCmd(), newTokensAddCertCmd(), newTokensListCmd(), newTokensRevokeCmd())
	return c
}

// readCredentials loads the file, or an empty one if it does not exist yet.
func readCredentials(path string) (*auth.File, error) {
	if path == "" {
		return nil, usage("tokens: --file is required (需要 --file 参数)")
	}
	f, err := auth.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, usage("tokens: %v", err)
	}
	return f, nil
}

type whoFlags struct {
	file, role, institution, person, expires, note string
}

func (w *whoFlags) bind(c *cobra.Command) {
	f := c.Flags()
	f.StringVar(&w.file, "file", "", "credentials file (created with mode 0600 if absent)")
	f.StringVar(&w.role, "role", "", "authority, security_officer, reviewer, institution or submitter")
	f.StringVar(&w.institution, "institution", "", "institution id (required for institution and submitter, refused otherwise)")
	f.StringVar(&w.person, "person", "", "the person the credential is issued to (recorded with every read)")
	f.StringVar(&w.note, "note", "", "a free note kept with the credential (never a secret)")
}

func (w *whoFlags) parse() (auth.Role, error) {
	if w.file == "" || w.role == "" || w.person == "" {
		return "", usage("tokens: --file, --role and --person are required (需要 --file、--role 和 --person 参数)")
	}
	r, err := auth.ParseRole(w.role)
	if err != nil {
		return "", usage("tokens: %v (未知角色)", err)
	}
	return r, nil
}

// parseExpiry accepts a duration from now (720h) or an RFC 3339 time or a date.
func parseExpiry(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return time.Now().Add(d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !t.After(time.Now()) {
				return time.Time{}, fmt.Errorf("--expires %s is in the past", s)
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--expires %q: want a duration (720h), a date (2027-06-30) or an RFC 3339 time", s)
}

func newTokensAddCmd() *cobra.Command {
	var w whoFlags
	c := &cobra.Command{
		Use:   "add --file F --role R [--institution I] --person P [--expires 720h]",
		Short: "Make a bearer token and print it once 生成令牌（仅显示一次）",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			role, err := w.parse()
			if err != nil {
				return err
			}
			exp, err := parseExpiry(w.expires)
			if err != nil {
				return usage("tokens add: %v", err)
			}
			f, err := readCredentials(w.file)
			if err != nil {
				return err
			}
			tok, cred, err := issueToken(f, role, w.institution, w.person, exp, w.note)
			if err != nil {
				return usage("tokens add: %v", err)
			}
			if err := auth.WriteFile(w.file, f); err != nil {
				return usage("tokens add: %v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s for %s (%s %s) added to %s; it is shown only now: store it / 令牌仅显示这一次，请妥善保存\n",
				cred.ID, w.person, role, role.ZH(), w.file)
			return nil
		},
	}
	w.bind(c)
	c.Flags().StringVar(&w.expires, "expires", "", "expiry: a duration from now (720h), a date or an RFC 3339 time (default never)")
	return c
}

// issueToken makes a bearer token and adds only its Argon2id hash to f: the one way
// tokens are made (tokens add, demo), so the demo's credentials are exactly what an
// operator's would be. The caller writes f and shows the token once.
func issueToken(f *auth.File, role auth.Role, institution, person string, expires time.Time, note string) (string, *auth.Credential, error) {
	tok, cred, err := auth.NewToken(role, institution, person, expires, auth.DefaultKDF)
	if err != nil {
		return "", nil, err
	}
	cred.Note = note
	if err := f.Add(cred); err != nil {
		return "", nil, err
	}
	return tok, cred, nil
}

func newTokensAddCertCmd() *cobra.Command {
	var w whoFlags
	var certFile string
	c := &cobra.Command{
		Use:   "add-cert --file F --cert CERT.pem --role R [--institution I] --person P",
		Short: "Map a client certificate (mutual TLS) to a role 登记客户端证书",
		Long: `Register a client certificate as a credential: ledgerd (--client-ca) maps a verified
client certificate to a role by the SHA-256 fingerprint of its DER encoding. The
certificate's own expiry is the credential's. Standard ECDSA or RSA certificates: Go's TLS
does not speak SM2 certificates (docs/access.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			role, err := w.parse()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(certFile)
			if err != nil {
				return usage("tokens add-cert: %v", err)
			}
			blk, _ := pem.Decode(b)
			if blk == nil || blk.Type != "CERTIFICATE" {
				return usage("tokens add-cert: %s holds no PEM certificate (不是 PEM 证书)", certFile)
			}
			cert, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				return usage("tokens add-cert: %v", err)
			}
			f, err := readCredentials(w.file)
			if err != nil {
				return err
			}
			cred, err := auth.CertCredential(cert, role, w.institution, w.person)
			if err != nil {
				return usage("tokens add-cert: %v", err)
			}
			cred.Note = w.note
			if err := f.Add(cred); err != nil {
				return usage("tokens add-cert: %v", err)
			}
			if err := auth.WriteFile(w.file, f); err != nil {
				return usage("tokens add-cert: %v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), cred.ID)
			return nil
		},
	}
	w.bind(c)
	c.Flags().StringVar(&certFile, "cert", "", "the client certificate (PEM)")
	return c
}

func newTokensListCmd() *cobra.Command {
	var file string
	var asJSON bool
	c := &cobra.Command{
		Use:   "list --file F [--json]",
		Short: "List credentials (never secrets) 列出凭据",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := readCredentials(file)
			if err != nil {
				return err
			}
			type row struct {
				ID          string    `json:"id"`
				Kind        string    `json:"kind"`
				Role        auth.Role `json:"role"`
				Institution string    `json:"institution,omitempty"`
				Person      string    `json:"person"`
				Created     string    `json:"created"`
				Expires     string    `json:"expires,omitempty"`
				Note        string    `json:"note,omitempty"`
			}
			rows := []row{}
			for _, c := range f.Credentials {
				rows = append(rows, row{c.ID, c.Kind, c.Role, c.Institution, c.Person, c.Created, c.Expires, c.Note})
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rows)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKIND\tROLE 角色\tINSTITUTION 单位\tPERSON 人员\tEXPIRES 到期")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Kind, r.Role, r.Institution, r.Person, r.Expires)
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&file, "file", "", "credentials file")
	c.Flags().BoolVar(&asJSON, "json", false, "JSON on standard output")
	return c
}

func newTokensRevokeCmd() *cobra.Command {
	var file, id string
	c := &cobra.Command{
		Use:   "revoke --file F --id ID",
		Short: "Remove a credential; ledgerd stops accepting it within a second 吊销凭据",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usage("tokens revoke: --id is required (需要 --id 参数)")
			}
			f, err := readCredentials(file)
			if err != nil {
				return err
			}
			if !f.Remove(id) {
				return usage("tokens revoke: no credential %s in %s (无此凭据)", id, file)
			}
			if err := auth.WriteFile(file, f); err != nil {
				return usage("tokens revoke: %v", err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "revoked %s / 已吊销\n", id)
			return nil
		},
	}
	c.Flags().StringVar(&file, "file", "", "credentials file")
	c.Flags().StringVar(&id, "id", "", "credential id (ledgerctl tokens list)")
	return c
}

// ledgerd is the client the server commands use: the ledgerd at url, presenting token
// (default $LEDGER_TOKEN) as its bearer credential.
func ledgerd(url, token string) *client.Client {
	c := client.New(url)
	if token == "" {
		token = os.Getenv("LEDGER_TOKEN")
	}
	c.Token = token
	return c
}
