// The health-data patterns (DESIGN.md §8.6): obvious cases caught, ordinary compliance text not.
import { expect } from 'chai';
import { findSensitiveData, sensitiveDataWarning } from '../../lib/sensitive-data.ts';

describe('sensitive-data patterns', () => {
  it('finds US SSNs, medical record wording and diagnosis wording', () => {
    expect(findSensitiveData('SSN 123-45-6789')).to.deep.equal(['ssn']);
    expect(findSensitiveData('ssn: 123456789')).to.deep.equal(['ssn']);
    expect(findSensitiveData('id 123 45 6789 on the form')).to.deep.equal(['ssn']);
    expect(findSensitiveData('See MRN 00412')).to.deep.equal(['medical-record']);
    expect(findSensitiveData('medical record number 55')).to.deep.equal(['medical-record']);
    expect(findSensitiveData('Patient ID 7')).to.deep.equal(['medical-record']);
    expect(findSensitiveData('was diagnosed with asthma')).to.deep.equal(['diagnosis']);
    expect(findSensitiveData('ICD-10 J45')).to.deep.equal(['diagnosis']);
    expect(findSensitiveData('Diagnosis: flu', 'MRN 4', 'SSN 123-45-6789').sort()).to.deep.equal(['diagnosis', 'medical-record', 'ssn']);
  });

  it('leaves ordinary compliance text alone', () => {
    for (const text of [
      'Inspect outfalls 1-4 per 40 CFR 122.26; pH 7.2',
      'Permit no. 123456789 renewed',
      'Call 555-123-4567 for gate access',
      'Tank 000-12-3456 and 666-12-3456 labels', // never-issued SSN areas
      'Record the meter reading and the diagnostic code of the pump controller',
      null,
      '',
    ]) {
      expect(findSensitiveData(text), String(text)).to.deep.equal([]);
    }
  });

  it('names what it saw without quoting it', () => {
    const warning = sensitiveDataWarning(['ssn', 'diagnosis']);
    expect(warning).to.include('a US Social Security number and diagnosis wording').and.include('not for health (HIPAA) data');
  });
});
