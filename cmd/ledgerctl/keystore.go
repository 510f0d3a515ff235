package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aba-prefecture/dataledger/ledger/datadir"
	"github.com/aba-prefecture/dataledger/privacy"
	"github.com/spf13/cobra"
)

func init() { register(newKeystoreCmd) }

// keystoreFlags name a key store and its key-encryption key.
type keystoreFlags struct{ dir, kekFile string }

func (k *keystoreFlags) bind(c *cobra.Command) {
	c.Flags().StringVar(&k.dir, "keystore", "", "key store directory (per-subject data keys)")
	c.Flags().StringVar(&k.kekFile, "kek-file", "", "the key store's key-encryption key (hex, mode 0600); or set LEDGER_KEK")
}

// open returns the key store, refusing a missing KEK with exit 2.
func (k *keystoreFlags) open(cmdName string) (*privacy.DirStore, error) {
	if k.dir == "" {
		return nil, usage("%s: --keystore is required (需要 --keystore 参数)", cmdName)
	}
	var kek *privacy.KEK
	var err error
	switch {
	case k.kekFile != "":
		kek, err = privacy.ReadKEKFile(k.kekFile)
	case os.Getenv("LEDGER_KEK") != "":
		kek, err = privacy.ParseKEK([]byte(os.Getenv("LEDGER_KEK")))
	default:
		return nil, usage("%s: the key store needs its key-encryption key: --kek-file FILE or LEDGER_KEK (需要密钥加密密钥)", cmdName)
	}
	if err != nil {
		return nil, usage("%s: %v", cmdName, err)
	}
	ks, err := privacy.OpenDirStore(k.dir, kek)
	if err != nil {
		return nil, usage("%s: %v", cmdName, err)
	}
	return ks, nil
}

func newKeystoreCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keystore",
		Short: "Per-subject data keys for encrypted payload fields 管理数据密钥库",
		Long: `The key store holds one SM4 data key per subject (a person, an emergency's data set, an
outsourcing contract), wrapped under a key-encryption key (KEK). Encrypted payload fields
are readable while their subject's key exists; destruction acts (Art. 21, 22, 39) destroy
it. See docs/privacy.md.`,
	}
	c.AddCommand(newKeystoreInitCmd(), newKeystoreListCmd(), newKeystoreShredCmd())
	return c
}

func newKeystoreInitCmd() *cobra.Command {
	var k keystoreFlags
	c := &cobra.Command{
		Use:   "init --keystore DIR --kek-file FILE",
		Short: "Create a key store and, if FILE does not exist, a new KEK 创建密钥库",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if k.dir == "" || k.kekFile == "" {
				return usage("keystore init: --keystore and --kek-file are required (需要 --keystore 和 --kek-file 参数)")
			}
			made := false
			if _, err := os.Stat(k.kekFile); errors.Is(err, os.ErrNotExist) {
				if _, err := privacy.GenerateKEKFile(k.kekFile); err != nil {
					return usage("keystore init: %v", err)
				}
				made = true
			}
			ks, err := k.open("keystore init")
			if err != nil {
				return err
			}
			if made {
				fmt.Fprintf(cmd.ErrOrStderr(), "new key-encryption key in %s: back it up apart from the key store; losing it loses every key / 新的密钥加密密钥，请与密钥库分开备份\n", k.kekFile)
			}
			fmt.Fprintln(cmd.OutOrStdout(), ks.Dir())
			return nil
		},
	}
	k.bind(c)
	return c
}

func newKeystoreListCmd() *cobra.Command {
	var k keystoreFlags
	c := &cobra.Command{
		Use:   "list --keystore DIR --kek-file FILE",
		Short: "List subjects with a live key and destroyed subjects 列出主体",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ks, err := k.open("keystore list")
			if err != nil {
				return err
			}
			live, dead, err := ks.Subjects()
			if err != nil {
				return usage("keystore list: %v", err)
			}
			sort.Strings(live)
			sort.Strings(dead)
			for _, s := range live {
				fmt.Fprintf(cmd.OutOrStdout(), "live\t%s\n", s)
			}
			for _, s := range dead {
				fmt.Fprintf(cmd.OutOrStdout(), "destroyed\t%s\n", s)
			}
			return nil
		},
	}
	k.bind(c)
	return c
}

func newKeystoreShredCmd() *cobra.Command {
	var k keystoreFlags
	var dir, rulesFile string
	c := &cobra.Command{
		Use:   "shred --data DIR --keystore KS --kek-file FILE",
		Short: "Apply the ledger's destruction acts to the key store (offline) 按销毁事件销毁密钥",
		Long: `Read the ledger in DIR from the shredder's saved position and destroy the data keys its
destruction acts name (Art. 21 emergency data, Art. 22 data-subject deletion, Art. 39
provider deletion; or --rules). ledgerd with --keystore does this itself as entries
commit; this command is for a key store ledgerd does not hold, and for catching up.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				return usage("keystore shred: --data is required (需要 --data 参数)")
			}
			ks, err := k.open("keystore shred")
			if err != nil {
				return err
			}
			rules := privacy.DefaultRules
			if rulesFile != "" {
				if rules, err = privacy.ReadRules(rulesFile); err != nil {
					return usage("keystore shred: %v", err)
				}
			}
			st, err := datadir.OpenStore(dir)
			if err != nil {
				return usage("keystore shred: %v", err)
			}
			defer st.Close()
			sh, err := privacy.NewShredder(privacy.ShredderConfig{Keys: ks, Store: st, Rules: rules,
				PositionFile: filepath.Join(k.dir, "shredder.position"), Logger: cliLogger(cmd)})
			if err != nil {
				return usage("keystore shred: %v", err)
			}
			n, err := sh.RunToEnd(context.Background())
			if err != nil {
				return usage("keystore shred: %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d subject key(s) destroyed / 已销毁 %d 个主体密钥\n", n, n)
			return nil
		},
	}
	k.bind(c)
	c.Flags().StringVar(&dir, "data", "", "the ledger's data directory")
	c.Flags().StringVar(&rulesFile, "rules", "", "JSON shredding rules (default: the Art. 21, 22, 39 acts)")
	return c
}
