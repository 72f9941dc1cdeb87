# mixrate plot: gnuplot plot.gp (in this directory)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000,560 enhanced font 'sans,11'; set output 'plot.png'
} else { if (strstrt(GPVAL_TERMINALS, ' png ') > 0) {
    set terminal png size 1000,560; set output 'plot.png'
} else {
    set terminal svg size 1000,560; set output 'plot.svg'
} }
set datafile separator ','
set logscale xy
set xrange [831.76377110267094:120226.44346174129]
set yrange [0.11924939704308363:1.6095218327981446]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "activation, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('1000' 1000, '2000' 2000, '5000' 5000, '10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000)
set ytics ('0.15' 0.15000000000000002, '0.2' 0.20000000000000001, '0.3' 0.30000000000000004, '0.4' 0.40000000000000002, '0.5' 0.5, '0.6' 0.60000000000000009, '0.8' 0.80000000000000004, '1' 1, '1.5' 1.5)
bottom = 0.11924939704308363
lo(v) = v > bottom ? v : bottom
theory(x) = 33.491506782255435 * sqrt(log(x) / x)
mean_fit(x) = exp(1.2250306790630863) * x**-0.13192113140872783
median_fit(x) = exp(1.7258012703473393) * x**-0.17492425282869273
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 20 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.13192113140872783, -0.18176825763033, -0.08207400518712564), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.17492425282869273, -0.33438681837860518, -0.015461687278780278), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "c (log N / N)^{1/2}, no proven rate"
