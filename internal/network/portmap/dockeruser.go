package portmap

import (
	"bytes"

	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
)

// Docker's iptables rules set the FORWARD policy of table "ip filter" to
// DROP, and with br_netfilter loaded (Docker loads it) that policy also
// applies to traffic bridged between two containers on a tug bridge. An
// accept in tug's own table cannot overrule a drop in another table, so
// where Docker's DOCKER-USER chain (its documented place for user rules)
// exists, tug puts its accepts there, tagged so it can find and remove
// exactly its own.

// SyncDockerUser makes DOCKER-USER hold the accepts for bridges (traffic
// from them, and established or DNATed traffic to them), tagged with
// table; with no bridges it removes them. Without DOCKER-USER it does
// nothing.
func SyncDockerUser(table string, bridges []string) error {
	c, err := newConn()
	if err != nil {
		return err
	}
	defer c.CloseLasting()
	chains, err := c.ListChainsOfTableFamily(nftables.TableFamilyIPv4)
	if err != nil {
		return err
	}
	var chain *nftables.Chain
	for _, ch := range chains {
		if ch.Table.Name == "filter" && ch.Name == "DOCKER-USER" {
			chain = ch
		}
	}
	if chain == nil {
		return nil
	}
	tag := []byte("tug:" + table)
	rules, err := c.GetRules(chain.Table, chain)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if bytes.Equal(r.UserData, tag) {
			if err := c.DelRule(r); err != nil {
				return err
			}
		}
	}
	for _, b := range bridges {
		accept := &expr.Verdict{Kind: expr.VerdictAccept}
		c.InsertRule(&nftables.Rule{Table: chain.Table, Chain: chain, UserData: tag,
			Exprs: append(iif(b, true), accept)})
		c.InsertRule(&nftables.Rule{Table: chain.Table, Chain: chain, UserData: tag,
			Exprs: append(oif(b, true), ctBits(expr.CtKeySTATE, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED, accept)...)})
		c.InsertRule(&nftables.Rule{Table: chain.Table, Chain: chain, UserData: tag,
			Exprs: append(oif(b, true), ctBits(expr.CtKeySTATUS, ipsDstNAT, accept)...)})
	}
	return c.Flush()
}

// ipsDstNAT is IPS_DST_NAT of the conntrack status bits.
const ipsDstNAT uint32 = 1 << 5

// ctBits matches when any of bits is set in the conntrack key.
func ctBits(key expr.CtKey, bits uint32, then expr.Any) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: 1, Key: key},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: binaryutil.NativeEndian.PutUint32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: binaryutil.NativeEndian.PutUint32(0)},
		then,
	}
}
