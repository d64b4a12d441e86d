package monitor

// HandedOver returns the batches, and their bytes, that ingest handed to
// p in memory and no message has taken yet.
func HandedOver(p *Processor) (int, int) { return p.hand.held() }
