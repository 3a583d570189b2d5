package store

import "testing"

func BenchmarkInsertCommit(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < b.N; i++ {
		tx, _ := s.Begin(true)
		if _, err := tx.Syscall("1.0/insert", []byte(`{"table":"t","value":{"a":1,"b":"hello"}}`)); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIndexedRead(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tx, _ := s.Begin(true)
	for i := 0; i < 1000; i++ {
		tx.Syscall("1.0/insert", []byte(`{"table":"t","value":{"a":1}}`))
	}
	tx.Commit()
	q := []byte(`{"query":{"source":{"type":"FullTableScan","tableName":"t","order":"desc"},"operators":[{"limit":20}]}}`)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx, _ := s.Begin(false)
		tx.Syscall("1.0/queryStream", q)
		for {
			out, err := tx.Syscall("1.0/queryStreamNext", []byte(`{"queryId":0}`))
			if err != nil {
				b.Fatal(err)
			}
			if string(out[:12]) == `{"done":true` {
				break
			}
		}
		tx.Rollback()
	}
}
