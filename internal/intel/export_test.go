package intel

// LookaheadUsed reports how many import batches used their lookahead.
func LookaheadUsed(s *Service) int64 { return s.lookaheadUsed.Load() }
