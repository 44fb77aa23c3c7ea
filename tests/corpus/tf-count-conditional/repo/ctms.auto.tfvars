ctms_service_key = "{\"uri\": \"https://transport-service-app-backend.ts.cfapps.eu10.hana.ondemand.com\", \"uaa\": {\"clientid\": \"sb-tms\"}}"
