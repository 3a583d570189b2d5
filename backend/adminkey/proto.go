package adminkey

import (
	"errors"
	"google.golang.org/protobuf/encoding/protowire"
)

// adminKeyMsg mirrors the protobuf convex_keys.AdminKey:
// 1 instance_name (string), 2 issued_s (uint64), oneof identity
// {3 member_id (uint64), 4 system (Empty)}, 5 is_read_only (bool).
type adminKeyMsg struct {
	instanceName string
	issued       uint64
	memberID     uint64
	system       bool
	hasIdentity  bool
	readOnly     bool
}

// encodeProto encodes a key for MemberId(0). The oneof member is serialized
// even when zero, giving 0x10 <varint issued> 0x18 0x00.
func encodeProto(issued uint64) []byte {
	var b []byte
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, issued)
	b = protowire.AppendTag(b, 3, protowire.VarintType)
	b = protowire.AppendVarint(b, 0)
	return b
}

func decodeProto(b []byte) (adminKeyMsg, error) {
	var m adminKeyMsg
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.instanceName = string(v)
			b = b[n:]
		case num == 2 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.issued = v
			b = b[n:]
		case num == 3 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.memberID, m.system, m.hasIdentity = v, false, true
			b = b[n:]
		case num == 4 && typ == protowire.BytesType:
			_, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.system, m.hasIdentity = true, true
			b = b[n:]
		case num == 5 && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return m, protowire.ParseError(n)
			}
			m.readOnly = v != 0
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return m, errors.New("bad protobuf field")
			}
			b = b[n:]
		}
	}
	return m, nil
}
