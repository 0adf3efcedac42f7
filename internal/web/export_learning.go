package web

import "context"

// exportLearning is the learning area's part of "download my data" (/account/export.json): the
// user's lesson completions, self-check attempts and certificates, as a JSON-encodable value under
// "learning" (see learning.Export), including records of content that has since been removed.
func (s *Server) exportLearning(ctx context.Context, userID int64) (any, error) {
	return s.learn.Export(ctx, userID)
}
