package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aba-prefecture/dataledger/crypto"
	"github.com/spf13/cobra"
)

func init() { register(newKeygenCmd) }

func newKeygenCmd() *cobra.Command {
	var out string
	c := &cobra.Command{
		Use:   "keygen --out PREFIX",
		Short: "Generate an SM2 key pair: PREFIX.key (PKCS#8 PEM, 0600) and PREFIX.pub (PKIX PEM) 生成 SM2 密钥对",
		Long: `Generate an SM2 key pair for an institution, the authority's root or the ledger.

PREFIX.key holds the private key (PKCS#8 PEM, mode 0600) and PREFIX.pub the public key
(PKIX PEM); both are the forms OpenSSL 3 reads. The key id printed is the one submissions
name in actor.key_id. An existing PREFIX.key is never overwritten: losing a registered
key orphans it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usage("keygen: --out PREFIX is required (需要 --out 参数)")
			}
			if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
				return usage("keygen: directory %s does not exist (目录不存在)", filepath.Dir(out))
			}
			if _, err := os.Stat(out + ".key"); err == nil {
				return usage("keygen: %s.key already exists; refusing to overwrite a key (密钥文件已存在，拒绝覆盖)", out)
			} else if !errors.Is(err, os.ErrNotExist) {
				return usage("keygen: %v", err)
			}
			k, err := crypto.GenerateKey()
			if err != nil {
				return usage("keygen: %v", err)
			}
			if err := crypto.WriteKeyPair(out, k); err != nil {
				return usage("keygen: %v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), k.Public().ID())
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "path prefix of the key files (PREFIX.key, PREFIX.pub)")
	return c
}
