/**
 * 政令指定都市 and their wards' 5-digit 団体コード blocks. UNVERIFIED
 * (year-end.md §10): kinko assumes the 給報 for a ward resident goes to the
 * city, so a ward code in col 139 rolls up to the city's code and all wards
 * share one 総括表. If the 仕様書 says ward codes stand alone, empty this
 * table (data, not code). 東京都の特別区 are municipalities of their own and
 * are not listed. Blocks reach up to the next city's code in the prefecture.
 */
export interface DesignatedCity {
  readonly city: string;
  readonly name: string;
  /** Inclusive 5-digit range of its wards' codes. */
  readonly wards: readonly [string, string];
}

export const DESIGNATED_CITIES: readonly DesignatedCity[] = [
  { city: '01100', name: '札幌市', wards: ['01101', '01199'] },
  { city: '04100', name: '仙台市', wards: ['04101', '04199'] },
  { city: '11100', name: 'さいたま市', wards: ['11101', '11199'] },
  { city: '12100', name: '千葉市', wards: ['12101', '12199'] },
  { city: '14100', name: '横浜市', wards: ['14101', '14129'] },
  { city: '14130', name: '川崎市', wards: ['14131', '14149'] },
  { city: '14150', name: '相模原市', wards: ['14151', '14199'] },
  { city: '15100', name: '新潟市', wards: ['15101', '15199'] },
  { city: '22100', name: '静岡市', wards: ['22101', '22129'] },
  { city: '22130', name: '浜松市', wards: ['22131', '22199'] },
  { city: '23100', name: '名古屋市', wards: ['23101', '23199'] },
  { city: '26100', name: '京都市', wards: ['26101', '26199'] },
  { city: '27100', name: '大阪市', wards: ['27101', '27139'] },
  { city: '27140', name: '堺市', wards: ['27141', '27199'] },
  { city: '28100', name: '神戸市', wards: ['28101', '28199'] },
  { city: '33100', name: '岡山市', wards: ['33101', '33199'] },
  { city: '34100', name: '広島市', wards: ['34101', '34199'] },
  { city: '40100', name: '北九州市', wards: ['40101', '40129'] },
  { city: '40130', name: '福岡市', wards: ['40131', '40199'] },
  { city: '43100', name: '熊本市', wards: ['43101', '43199'] },
];
