package kernel

import (
	"testing"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// wire serialises expressions as the kernel dumps them (NFTA_RULE_EXPRESSIONS) and decodes them again.
func wire(t *testing.T, exprs []expr.Any, ud []byte) nft.Rule {
	t.Helper()
	var b []byte
	for _, e := range exprs {
		data, err := expr.Marshal(unix.NFPROTO_INET, e)
		if err != nil {
			t.Fatal(err)
		}
		b = appendNested(b, unix.NFTA_LIST_ELEM, func(b []byte) []byte { return append(b, data...) })
	}
	got, ok, err := decodeExprs(b)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nft.Rule{Match: nft.Unknown}
	}
	r, _ := decodeRule(got, ud)
	return r
}

// TestRuleEncodingRoundTrip encodes every rule of the fixture and decodes it back, without a kernel.
func TestRuleEncodingRoundTrip(t *testing.T) {
	for _, ch := range fixture().Chains {
		for _, r := range ch.Rules {
			exprs, ud, err := encodeRule(r, nil)
			if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			if got := wire(t, exprs, ud); !got.Equal(r) {
				t.Errorf("%s decodes as %+v", r, got)
			}
		}
	}
}

// TestRuleDecodingRejects checks that near misses of the vocabulary decode as Unknown.
func TestRuleDecodingRejects(t *testing.T) {
	base := lookup("s", accept, nft.IPSaddr, nft.L4Proto, nft.THDport)
	enc := func() []expr.Any {
		exprs, _, err := encodeRule(base, nil)
		if err != nil {
			t.Fatal(err)
		}
		return exprs
	}
	cases := map[string]func([]expr.Any) []expr.Any{
		"no family check": func(e []expr.Any) []expr.Any { return e[2:] },
		"wrong family": func(e []expr.Any) []expr.Any {
			e[1] = &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{unix.NFPROTO_IPV6}}
			return e
		},
		"inverted lookup": func(e []expr.Any) []expr.Any {
			e[len(e)-2].(*expr.Lookup).Invert = true
			return e
		},
		"counter before the lookup": func(e []expr.Any) []expr.Any {
			return append([]expr.Any{&expr.Counter{}}, e...)
		},
		"log with a level": func(e []expr.Any) []expr.Any {
			lg := &expr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX | 1<<unix.NFTA_LOG_LEVEL,
				Group: 1, Data: []byte("p"), Level: expr.LogLevelInfo}
			return append(e[:len(e)-1:len(e)-1], lg, e[len(e)-1])
		},
		"limit over a rate": func(e []expr.Any) []expr.Any {
			lim := &expr.Limit{Type: expr.LimitTypePkts, Rate: 5, Over: true, Unit: expr.LimitTimeSecond, Burst: 5}
			lg := &expr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX, Group: 1, Data: []byte("p")}
			return append(e[:len(e)-1:len(e)-1], lim, lg, e[len(e)-1])
		},
		"limit in bytes": func(e []expr.Any) []expr.Any {
			lim := &expr.Limit{Type: expr.LimitTypePktBytes, Rate: 5, Unit: expr.LimitTimeSecond, Burst: 5}
			lg := &expr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX, Group: 1, Data: []byte("p")}
			return append(e[:len(e)-1:len(e)-1], lim, lg, e[len(e)-1])
		},
		"limit without a log": func(e []expr.Any) []expr.Any {
			lim := &expr.Limit{Type: expr.LimitTypePkts, Rate: 5, Unit: expr.LimitTimeSecond, Burst: 5}
			return append(e[:len(e)-1:len(e)-1], lim, e[len(e)-1])
		},
		"gap between registers": func(e []expr.Any) []expr.Any {
			e[3].(*expr.Meta).Register = reg32First + 2
			return e
		},
		"byteorder that does something": func(e []expr.Any) []expr.Any {
			bo := &expr.Byteorder{SourceRegister: reg32First + 1, DestRegister: reg32First + 1, Op: expr.ByteorderHton, Len: 2, Size: 2}
			return append(e[:4:4], append([]expr.Any{bo}, e[4:]...)...)
		},
		"other payload": func(e []expr.Any) []expr.Any {
			e[2].(*expr.Payload).Offset = 20
			return e
		},
		"no verdict": func(e []expr.Any) []expr.Any { return e[:len(e)-1] },
	}
	for name, mutate := range cases {
		if got := wire(t, mutate(enc()), nil); got.Match != nft.Unknown {
			t.Errorf("%s: decoded as %+v", name, got)
		}
	}
	// nft's own byteorder (a no-op on one byte) is accepted.
	e := enc()
	bo := &expr.Byteorder{SourceRegister: reg32First + 1, DestRegister: reg32First + 1, Op: expr.ByteorderHton, Len: 1, Size: 2}
	if got := wire(t, append(e[:4:4], append([]expr.Any{bo}, e[4:]...)...), nil); !got.Equal(base) {
		t.Errorf("no-op byteorder: decoded as %+v", got)
	}
}

// TestCtNewTCPNotSYNRejects: rules close to the strict-mode guard are not it.
func TestCtNewTCPNotSYNRejects(t *testing.T) {
	guard := nft.Rule{Match: nft.CtNewTCPNotSYN, Verdict: drop}
	enc := func() []expr.Any {
		exprs, _, err := encodeRule(guard, nil)
		if err != nil {
			t.Fatal(err)
		}
		return exprs
	}
	if got := wire(t, enc(), nil); !got.Equal(guard) {
		t.Fatalf("the guard decodes as %+v", got)
	}
	cases := map[string]func([]expr.Any) []expr.Any{
		"ct state established": func(e []expr.Any) []expr.Any {
			e[1].(*expr.Bitwise).Mask = hostU32(expr.CtStateBitESTABLISHED)
			return e
		},
		"udp": func(e []expr.Any) []expr.Any {
			e[4].(*expr.Cmp).Data = []byte{unix.IPPROTO_UDP}
			return e
		},
		"other header byte": func(e []expr.Any) []expr.Any {
			e[5].(*expr.Payload).Offset = 12
			return e
		},
		"every flag": func(e []expr.Any) []expr.Any {
			e[6].(*expr.Bitwise).Mask = []byte{0xff}
			return e
		},
		"is a SYN": func(e []expr.Any) []expr.Any {
			e[7].(*expr.Cmp).Op = expr.CmpOpEq
			return e
		},
		"not new": func(e []expr.Any) []expr.Any {
			e[2].(*expr.Cmp).Op = expr.CmpOpEq
			return e
		},
		"no protocol check": func(e []expr.Any) []expr.Any { return append(e[:3:3], e[5:]...) },
	}
	for name, mutate := range cases {
		if got := wire(t, mutate(enc()), nil); got.Match == nft.CtNewTCPNotSYN {
			t.Errorf("%s: decoded as the guard", name)
		}
	}
}
