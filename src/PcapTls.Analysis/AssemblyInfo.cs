namespace PcapTls.Analysis;
