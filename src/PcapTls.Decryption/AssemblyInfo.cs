namespace PcapTls.Decryption;
