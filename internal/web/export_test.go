package web

// CachedFiles is the number of generated files (certificate PDFs, QR codes) kept in memory, for
// the tests that check what an erasure leaves.
func (s *Server) CachedFiles() int { return s.files.len() }
