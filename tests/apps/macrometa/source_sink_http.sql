-- Sources and sinks with WITH options (source/, sink/)
@App:name('parcel-tracking')
@App:qlVersion('2')
CREATE SOURCE ParcelScans WITH (type = 'http', map.type = 'json', map.attributes.parcelId = '$.id', map.attributes.hub = '$.hub') (parcelId string, hub string, weight double);
CREATE SINK HeavyParcels WITH (type = 'log', map.type = 'json') (parcelId string, weight double);
INSERT INTO HeavyParcels
SELECT parcelId, weight
FROM ParcelScans[weight > 30.0];
