package protocol

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	big := strings.Repeat("x", 2<<20) // 2 MiB, well past bufio.Scanner's 64 KiB
	tests := []struct {
		name  string
		input string
		max   int
		want  []string // "" where errs has the error instead
		errs  []error
	}{
		{name: "lines", input: "A\nB c\n", max: 100, want: []string{"A", "B c"}},
		{name: "CR kept for the parser", input: "A\r\nB\n", max: 100, want: []string{"A\r", "B"}},
		{name: "empty lines", input: "\n\nA\n", max: 100, want: []string{"", "", "A"}},
		{name: "no final LF", input: "A\nB", max: 100, want: []string{"A", ""}, errs: []error{nil, errUnterminated}},
		{name: "huge line", input: "VALUE " + big + "\nNEXT\n", max: DefaultMaxLine, want: []string{"VALUE " + big, "NEXT"}},
		{name: "at limit", input: "12345\n", max: 5, want: []string{"12345"}},
		{name: "over limit skipped whole", input: "123456\nok\n", max: 5, want: []string{"", "ok"}, errs: []error{errLineTooLong, nil}},
		{name: "over limit across buffers", input: big + "\nok\n", max: 1 << 20, want: []string{"", "ok"}, errs: []error{errLineTooLong, nil}},
		{name: "over limit at EOF", input: "123456", max: 5, want: []string{""}, errs: []error{errLineTooLong}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newLineReader(strings.NewReader(tt.input), tt.max)
			for i, want := range tt.want {
				got, err := r.readLine()
				if tt.errs != nil && tt.errs[i] != nil {
					if !errors.Is(err, tt.errs[i]) {
						t.Fatalf("line %d: err = %v, want %v", i, err, tt.errs[i])
					}
					continue
				}
				if err != nil || got != want {
					t.Fatalf("line %d: got %.40q (len %d), %v; want %.40q (len %d)", i, got, len(got), err, want, len(want))
				}
			}
			if _, err := r.readLine(); err != io.EOF {
				t.Fatalf("after the last line: err = %v, want io.EOF", err)
			}
		})
	}
}

// bufferedLine offers only a whole line already read, and never reads.
func TestLineReaderBufferedLine(t *testing.T) {
	in := &chunks{t: t, chunks: []string{"A\nB\nC", "\n"}}
	r := newLineReader(in, 100)
	if line, ok := r.bufferedLine(); ok {
		t.Fatalf("before any read: offered %q", line)
	}
	if line, err := r.readLine(); err != nil || line != "A" {
		t.Fatalf("readLine = %q, %v", line, err)
	}
	for range 2 { // offering does not consume
		if line, ok := r.bufferedLine(); !ok || line != "B" {
			t.Fatalf("bufferedLine = %q, %v; want B", line, ok)
		}
	}
	if line, err := r.readLine(); err != nil || line != "B" {
		t.Fatalf("readLine = %q, %v", line, err)
	}
	if line, ok := r.bufferedLine(); ok {
		t.Fatalf("offered %q, which has no LF yet", line)
	}
	if in.reads != 1 {
		t.Fatalf("%d reads, want 1: bufferedLine read from the input", in.reads)
	}
	if line, err := r.readLine(); err != nil || line != "C" {
		t.Fatalf("readLine = %q, %v", line, err)
	}
	short := newLineReader(strings.NewReader("123456\n"), 5)
	short.br.Peek(1) // fill the buffer
	if line, ok := short.bufferedLine(); ok {
		t.Fatalf("offered %q, over the limit", line)
	}
}

// chunks yields one chunk per Read, and counts the reads.
type chunks struct {
	t      *testing.T
	chunks []string
	reads  int
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.reads == len(c.chunks) {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[c.reads])
	if n < len(c.chunks[c.reads]) {
		c.t.Fatal("chunk larger than the read")
	}
	c.reads++
	return n, nil
}
