package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

var hookNames = map[uint32]string{
	unix.NF_INET_PRE_ROUTING:  "prerouting",
	unix.NF_INET_LOCAL_IN:     "input",
	unix.NF_INET_FORWARD:      "forward",
	unix.NF_INET_LOCAL_OUT:    "output",
	unix.NF_INET_POST_ROUTING: "postrouting",
	5:                         "ingress", // NF_INET_INGRESS
}

// decodeChain decodes a chain from a dump. skip is set for chains that belong to a rule (nft's anonymous
// binding chains). A base chain the model cannot express (another type, policy or hook, a device, other flags)
// gets a Hook whose name describes it: no desired chain has that hook, so a Diff recreates or deletes it.
func decodeChain(data []byte) (table string, ch *nft.Chain, skip bool, err error) {
	m, err := attrMap(data)
	if err != nil {
		return "", nil, false, err
	}
	table = attrString(m[unix.NFTA_CHAIN_TABLE])
	ch = &nft.Chain{Name: attrString(m[unix.NFTA_CHAIN_NAME])}
	flags, _ := attrU32(m[nftaChainFlags])
	if flags&nftChainBinding != 0 {
		return table, ch, true, nil
	}
	hb, ok := m[unix.NFTA_CHAIN_HOOK]
	if !ok {
		return table, ch, false, nil
	}
	hm, err := attrMap(hb)
	if err != nil {
		return "", nil, false, err
	}
	num, _ := attrU32(hm[unix.NFTA_HOOK_HOOKNUM])
	prio, _ := attrU32(hm[unix.NFTA_HOOK_PRIORITY])
	policy, hasPolicy := attrU32(m[unix.NFTA_CHAIN_POLICY])
	typ := attrString(m[unix.NFTA_CHAIN_TYPE])
	name, known := hookNames[num]
	if !known {
		name = fmt.Sprintf("hook%d", num)
	}
	_, dev := hm[unix.NFTA_HOOK_DEV]
	_, devs := hm[4] // NFTA_HOOK_DEVS
	if _, ok := hookNums[name]; !ok || typ != "filter" || !hasPolicy || policy != nfAccept || dev || devs ||
		flags&^nftChainBase != 0 {
		name = fmt.Sprintf("%s (type %s, policy %d, flags %#x, device %t)", name, typ, policy, flags, dev || devs)
	}
	ch.Hook = &nft.Hook{Name: name, Priority: int32(prio)}
	return table, ch, false, nil
}
