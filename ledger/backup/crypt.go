package backup

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/aba-prefecture/dataledger/crypto"
	"golang.org/x/crypto/argon2"
)

// Encryption is the archive's first line, in clear: what a reader needs, besides the
// passphrase, to derive the key and open the frames. It names the format, so that a
// person who finds the file knows what it is (head -1).
type Encryption struct {
	Format    string `json:"format"`
	Cipher    string `json:"cipher"`
	KDF       string `json:"kdf"`
	Salt      []byte `json:"salt"`
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
	Frame     int    `json:"frame_bytes"`
}

// KDF parameters. The defaults follow RFC 9106's second recommendation (64 MiB); the
// bounds stop a hostile header from making a reader spend gigabytes or minutes before
// the first frame fails.
const (
	defaultTime      = 3
	defaultMemoryKiB = 64 << 10
	defaultThreads   = 4
	maxTime          = 16
	maxMemoryKiB     = 1 << 20
	frameBytes       = 64 << 10
	maxHeaderLine    = 4 << 10
	cipherName       = "SM4-GCM"
	kdfName          = "argon2id"
)

// ErrPassphrase: the archive does not open with the passphrase given (or was changed:
// GCM cannot tell the two apart).
var ErrPassphrase = errors.New("the backup does not open with this passphrase, or it was altered (口令错误或备份已被改动)")

// ErrCutShort: the archive ends before its final frame.
var ErrCutShort = errors.New("the backup ends before its final frame: it was cut short (备份文件不完整)")

// encWriter seals plaintext in frames of frameBytes. Each frame is a 4-byte big-endian
// length and the SM4-GCM ciphertext; the nonce is the frame counter with its first byte
// 1 on the last frame (the STREAM construction), and the additional data is the header
// line, so frames can be neither reordered, dropped, truncated at a frame boundary nor
// moved under another header.
type encWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	aad    []byte
	buf    []byte
	frame  uint64
	closed bool
}

func deriveKey(pass []byte, e Encryption) (cipher.AEAD, error) {
	key := argon2.IDKey(pass, e.Salt, e.Time, e.MemoryKiB, e.Threads, crypto.SM4KeySize)
	return crypto.NewSM4GCM(key)
}

// newEncWriter writes the header line and returns the writer of the sealed body.
func newEncWriter(w io.Writer, pass []byte) (*encWriter, error) {
	if len(pass) == 0 {
		return nil, errors.New("the passphrase is empty (口令为空)")
	}
	e := Encryption{Format: Format, Cipher: cipherName, KDF: kdfName, Salt: make([]byte, 16),
		Time: defaultTime, MemoryKiB: defaultMemoryKiB, Threads: defaultThreads, Frame: frameBytes}
	if _, err := rand.Read(e.Salt); err != nil {
		return nil, fmt.Errorf("drawing the salt: %w", err)
	}
	line, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	line = append(line, '\n')
	aead, err := deriveKey(pass, e)
	if err != nil {
		return nil, fmt.Errorf("deriving the key: %w", err)
	}
	if _, err := w.Write(line); err != nil {
		return nil, fmt.Errorf("writing the header: %w", err)
	}
	return &encWriter{w: w, aead: aead, aad: line, buf: make([]byte, 0, frameBytes)}, nil
}

func nonce(frame uint64, last bool) []byte {
	n := make([]byte, 12)
	if last {
		n[0] = 1
	}
	binary.BigEndian.PutUint64(n[4:], frame)
	return n
}

func (e *encWriter) Write(p []byte) (int, error) {
	if e.closed {
		return 0, errors.New("write after close")
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), frameBytes-len(e.buf))
		e.buf = append(e.buf, p[:k]...)
		p, n = p[k:], n+k
		if len(e.buf) == frameBytes {
			if err := e.flush(false); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (e *encWriter) flush(last bool) error {
	ct := e.aead.Seal(nil, nonce(e.frame, last), e.buf, e.aad)
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	if _, err := e.w.Write(l[:]); err != nil {
		return fmt.Errorf("writing frame %d: %w", e.frame, err)
	}
	if _, err := e.w.Write(ct); err != nil {
		return fmt.Errorf("writing frame %d: %w", e.frame, err)
	}
	e.frame++
	e.buf = e.buf[:0]
	return nil
}

// Close writes the last frame (possibly empty): without it a reader reports ErrCutShort.
func (e *encWriter) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	return e.flush(true)
}

// ReadEncryption reads the clear header line of an archive.
func readEncryption(br *bufio.Reader) (Encryption, []byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return Encryption{}, nil, fmt.Errorf("not a %s archive: no header line within %d bytes", Format, maxHeaderLine)
		}
		return Encryption{}, nil, fmt.Errorf("not a %s archive: reading the header: %w", Format, err)
	}
	line = bytes.Clone(line)
	var e Encryption
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Encryption{}, nil, fmt.Errorf("not a %s archive: header: %w", Format, err)
	}
	switch {
	case e.Format != Format:
		return e, nil, fmt.Errorf("archive format %q; this ledgerctl reads %s", e.Format, Format)
	case e.Cipher != cipherName || e.KDF != kdfName:
		return e, nil, fmt.Errorf("archive cipher %q / KDF %q; this ledgerctl reads %s / %s", e.Cipher, e.KDF, cipherName, kdfName)
	case len(e.Salt) < 16 || e.Time == 0 || e.Time > maxTime || e.MemoryKiB < 8*uint32(e.Threads) || e.MemoryKiB > maxMemoryKiB || e.Threads == 0:
		return e, nil, fmt.Errorf("archive KDF parameters out of bounds (time %d, memory %d KiB, threads %d)", e.Time, e.MemoryKiB, e.Threads)
	case e.Frame != frameBytes:
		return e, nil, fmt.Errorf("archive frame size %d; this ledgerctl reads %d", e.Frame, frameBytes)
	}
	return e, line, nil
}

// decReader opens the frames encWriter wrote, refusing any that fails authentication,
// and a body that ends without its last frame or goes on after it.
type decReader struct {
	r     io.Reader
	aead  cipher.AEAD
	aad   []byte
	frame uint64
	buf   []byte
	done  bool
}

// newDecReader reads the header from r and returns the reader of the plaintext.
func newDecReader(r io.Reader, pass []byte) (*decReader, error) {
	br := bufio.NewReaderSize(r, maxHeaderLine)
	e, line, err := readEncryption(br)
	if err != nil {
		return nil, err
	}
	aead, err := deriveKey(pass, e)
	if err != nil {
		return nil, fmt.Errorf("deriving the key: %w", err)
	}
	return &decReader{r: br, aead: aead, aad: line}, nil
}

func (d *decReader) Read(p []byte) (int, error) {
	for len(d.buf) == 0 {
		if d.done {
			return 0, io.EOF
		}
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.buf)
	d.buf = d.buf[n:]
	return n, nil
}

func (d *decReader) next() error {
	var l [4]byte
	if _, err := io.ReadFull(d.r, l[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return ErrCutShort
		}
		return fmt.Errorf("reading frame %d: %w", d.frame, err)
	}
	n := binary.BigEndian.Uint32(l[:])
	if n < uint32(d.aead.Overhead()) || n > frameBytes+uint32(d.aead.Overhead()) {
		return fmt.Errorf("frame %d claims %d bytes: %w", d.frame, n, ErrPassphrase)
	}
	ct := make([]byte, n)
	if _, err := io.ReadFull(d.r, ct); err != nil {
		return fmt.Errorf("frame %d: %w", d.frame, ErrCutShort)
	}
	pt, err := d.aead.Open(nil, nonce(d.frame, false), ct, d.aad)
	if err != nil {
		if pt, err = d.aead.Open(nil, nonce(d.frame, true), ct, d.aad); err != nil {
			return fmt.Errorf("frame %d: %w", d.frame, ErrPassphrase)
		}
		var one [1]byte
		if k, _ := io.ReadFull(d.r, one[:]); k != 0 {
			return fmt.Errorf("data after the last frame %d: %w", d.frame, ErrPassphrase)
		}
		d.done = true
	}
	d.frame++
	d.buf = pt
	return nil
}
