namespace PcapTls.Validation;
