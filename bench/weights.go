package bench

import (
	"fmt"

	"github.com/mirrorbench/mirrorbench/results"
	"github.com/mirrorbench/mirrorbench/scenarios"
	"github.com/mirrorbench/mirrorbench/trainer"
)

// initialWeights is Keras's seeded initialisation, or the weights of
// opt.InitWeights (e.g. made by another framework), recorded with their hash.
func initialWeights(sc *scenarios.Scenario, opt Options, rec *results.Record) (*trainer.Params, error) {
	if opt.InitWeights == "" {
		p := trainer.NewParams()
		trainer.InitKeras(p, sc.Seed)
		return p, nil
	}
	p, _, err := trainer.ReadSafetensors(opt.InitWeights)
	if err != nil {
		return nil, fmt.Errorf("--init-weights: %w", err)
	}
	sum, err := trainer.FileSHA256(opt.InitWeights)
	if err != nil {
		return nil, err
	}
	rec.InitWeights = &results.WeightsFile{Path: opt.InitWeights, SHA256: sum, Fingerprint: p.Fingerprint()}
	return p, nil
}

// exportWeights writes the final weights with the run's identity in the
// file's metadata.
func exportWeights(path string, p *trainer.Params, rec *results.Record) error {
	meta := map[string]string{
		"format": "mirrorbench", "scenario": rec.Scenario, "seed": fmt.Sprint(rec.Seed),
		"fingerprint": rec.Fingerprint, "engine": rec.Engine, "epochs": fmt.Sprint(len(rec.Epochs)),
	}
	data, err := trainer.EncodeSafetensors(p, meta)
	if err == nil {
		err = results.WriteFileAtomic(path, data)
	}
	if err != nil {
		return fmt.Errorf("--export-weights %s: %w", path, err)
	}
	sum, err := trainer.FileSHA256(path)
	if err != nil {
		return err
	}
	rec.ExportWeights = &results.WeightsFile{Path: path, SHA256: sum, Fingerprint: rec.Fingerprint}
	return nil
}
