namespace PcapTls.Live;
