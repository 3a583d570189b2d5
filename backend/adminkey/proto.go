package adminkey

import (
	"encoding/binary"
	"errors"
	"math"
)

// The admin key payload is a tiny protobuf message. It is read and written
// here with encoding/binary varints instead of the protobuf runtime, whose
// package initialisers cost start-up time in every command.

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

// Protobuf wire types.
const (
	wireVarint     = 0
	wireFixed64    = 1
	wireBytes      = 2
	wireStartGroup = 3
	wireEndGroup   = 4
	wireFixed32    = 5
)

// maxGroupDepth bounds nested groups in skipped unknown fields, as the
// protobuf runtime does.
const maxGroupDepth = 10000

var (
	errProtoTruncated = errors.New("protobuf: truncated input")
	errProtoOverflow  = errors.New("protobuf: varint overflows 64 bits")
	errProtoField     = errors.New("protobuf: invalid field number")
	errProtoWireType  = errors.New("protobuf: invalid wire type")
	errProtoEndGroup  = errors.New("protobuf: mismatched end group")
	errProtoDepth     = errors.New("protobuf: groups nested too deeply")
)

func appendTag(b []byte, num uint64, typ byte) []byte {
	return binary.AppendUvarint(b, num<<3|uint64(typ))
}

// encodeProto encodes a key for MemberId(0). The oneof member is serialized
// even when zero, giving 0x10 <varint issued> 0x18 0x00.
func encodeProto(issued uint64) []byte {
	b := make([]byte, 0, 2+binary.MaxVarintLen64+1)
	b = appendTag(b, 2, wireVarint)
	b = binary.AppendUvarint(b, issued)
	b = appendTag(b, 3, wireVarint)
	b = binary.AppendUvarint(b, 0)
	return b
}

// consumeVarint reads one varint, rejecting truncation and values wider
// than 64 bits. Non-minimal encodings are accepted, as protobuf does.
func consumeVarint(b []byte) (uint64, int, error) {
	v, n := binary.Uvarint(b)
	switch {
	case n == 0:
		return 0, 0, errProtoTruncated
	case n < 0:
		return 0, 0, errProtoOverflow
	}
	return v, n, nil
}

// consumeTag reads a field tag. Field number 0 and numbers above MaxInt32
// are invalid.
func consumeTag(b []byte) (num uint64, typ byte, n int, err error) {
	v, n, err := consumeVarint(b)
	if err != nil {
		return 0, 0, 0, err
	}
	num = v >> 3
	if num < 1 || num > math.MaxInt32 {
		return 0, 0, 0, errProtoField
	}
	return num, byte(v & 7), n, nil
}

// consumeBytes reads a length-delimited value.
func consumeBytes(b []byte) ([]byte, int, error) {
	m, n, err := consumeVarint(b)
	if err != nil {
		return nil, 0, err
	}
	if m > uint64(len(b)-n) {
		return nil, 0, errProtoTruncated
	}
	return b[n : n+int(m)], n + int(m), nil
}

// skipField returns the length of the value of a field with wire type typ,
// so unknown fields are passed over but still checked for well-formedness.
func skipField(num uint64, typ byte, b []byte, depth int) (int, error) {
	switch typ {
	case wireVarint:
		_, n, err := consumeVarint(b)
		return n, err
	case wireFixed32:
		if len(b) < 4 {
			return 0, errProtoTruncated
		}
		return 4, nil
	case wireFixed64:
		if len(b) < 8 {
			return 0, errProtoTruncated
		}
		return 8, nil
	case wireBytes:
		_, n, err := consumeBytes(b)
		return n, err
	case wireStartGroup:
		if depth < 0 {
			return 0, errProtoDepth
		}
		total := 0
		for {
			num2, typ2, n, err := consumeTag(b[total:])
			if err != nil {
				return 0, err
			}
			total += n
			if typ2 == wireEndGroup {
				if num2 != num {
					return 0, errProtoEndGroup
				}
				return total, nil
			}
			n, err = skipField(num2, typ2, b[total:], depth-1)
			if err != nil {
				return 0, err
			}
			total += n
		}
	case wireEndGroup:
		return 0, errProtoEndGroup
	default:
		return 0, errProtoWireType
	}
}

// decodeProto parses an AdminKey message. Unknown fields, and known fields
// with an unexpected wire type, are skipped; malformed input is an error.
func decodeProto(b []byte) (adminKeyMsg, error) {
	var m adminKeyMsg
	for len(b) > 0 {
		num, typ, n, err := consumeTag(b)
		if err != nil {
			return m, err
		}
		b = b[n:]
		switch {
		case num == 1 && typ == wireBytes:
			v, n, err := consumeBytes(b)
			if err != nil {
				return m, err
			}
			m.instanceName = string(v)
			b = b[n:]
		case num == 2 && typ == wireVarint:
			v, n, err := consumeVarint(b)
			if err != nil {
				return m, err
			}
			m.issued = v
			b = b[n:]
		case num == 3 && typ == wireVarint:
			v, n, err := consumeVarint(b)
			if err != nil {
				return m, err
			}
			m.memberID, m.system, m.hasIdentity = v, false, true
			b = b[n:]
		case num == 4 && typ == wireBytes:
			_, n, err := consumeBytes(b)
			if err != nil {
				return m, err
			}
			m.system, m.hasIdentity = true, true
			b = b[n:]
		case num == 5 && typ == wireVarint:
			v, n, err := consumeVarint(b)
			if err != nil {
				return m, err
			}
			m.readOnly = v != 0
			b = b[n:]
		default:
			n, err := skipField(num, typ, b, maxGroupDepth)
			if err != nil {
				return m, err
			}
			b = b[n:]
		}
	}
	return m, nil
}
