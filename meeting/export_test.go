package meeting

// AnswersWaiting reports how many answers have been submitted and are not
// done yet, for tests that make answers pile up behind a held write lock.
func AnswersWaiting(s *Service) int {
	s.answers.mu.Lock()
	defer s.answers.mu.Unlock()
	return s.answers.waiting
}
