package adminkey

import (
	"errors"
	"strings"
	"testing"
)

// Keys minted by the earlier implementation (AES-GCM-SIV from tink), kept so
// that any later cipher or encoding change is checked against keys that were
// really issued.
var goldenKeys = []struct {
	key, instance, secret string
	issued                int64
}{
	{
		key:      "carnitas|01e80731434f9f9915a561bc77c57e76bd4aac149b710260b65e5c2e1d71db4331b7f4a8c4",
		instance: "carnitas",
		secret:   LegacySecret,
		issued:   1750000000,
	},
	{
		key:      "local-team-proj|014738432a805659505edccf5279c4b78de04e0b224bb3dfd4b88c434390b102d259a111a0",
		instance: "local-team-proj",
		secret:   strings.Repeat("5a", 32),
		issued:   4102444800,
	},
}

func TestGoldenKeysVerify(t *testing.T) {
	for _, g := range goldenKeys {
		secret, err := ParseSecret(g.secret)
		if err != nil {
			t.Fatal(err)
		}
		id, err := Verify(g.key, g.instance, secret)
		if err != nil {
			t.Fatalf("%s: %v", g.instance, err)
		}
		if id.Issued.Unix() != g.issued || id.System || id.MemberID != 0 || id.ReadOnly || id.InstanceName != g.instance {
			t.Fatalf("%s: unexpected identity %+v", g.instance, id)
		}
		// The same key must not verify under another secret.
		other, _ := ParseSecret(strings.Repeat("01", 32))
		if _, err := Verify(g.key, g.instance, other); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("%s under another secret: %v", g.instance, err)
		}
	}
}
