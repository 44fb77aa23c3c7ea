resource "btp_subaccount_destination" "calm" {
  name = "CALM_GOOD"
  url  = "https://acme.eu10.alm.cloud.sap/"
}
