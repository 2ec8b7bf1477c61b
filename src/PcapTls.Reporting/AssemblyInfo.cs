namespace PcapTls.Reporting;
