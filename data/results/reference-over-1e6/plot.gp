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
set xrange [8317.6377110267094:1202264.434617413]
set yrange [0.0055138958993373264:1.3427522181991598]
set xlabel 'sample size N'
set ylabel 'D2 loss'
set title "softmax, k = 3 fitted, k* = 2 true, grid design, near-truth start" noenhanced
set key outside right top vertical box spacing 1.3 samplen 2
set grid xtics ytics lc rgb '#dddddd'
set xtics ('10000' 10000, '20000' 20000, '50000' 50000, '100000' 100000, '200000' 200000, '500000' 500000, '1e+06' 1000000)
set ytics ('0.01' 0.01, '0.02' 0.02, '0.05' 0.050000000000000003, '0.1' 0.10000000000000001, '0.2' 0.20000000000000001, '0.5' 0.5, '1' 1)
bottom = 0.0055138958993373264
lo(v) = v > bottom ? v : bottom
theory(x) = 39.394054453990904 * sqrt(log(x) / x)
mean_fit(x) = exp(-0.13541740208293085) * x**-0.063392225918888725
median_fit(x) = exp(1.5320604354063052) * x**-0.27410658365594925
plot 'summary.csv' skip 1 using ($1/1.02):3:(lo($6)):7 with yerrorbars pt 7 ps 0.9 lc rgb '#1f4e9c' title 'mean of 20 replicates, 95% CI', \
     'summary.csv' skip 1 using ($1*1.02):5:8:9 with yerrorbars pt 5 ps 0.8 lc rgb '#2e8b57' title 'median, 95% CI', \
     mean_fit(x) with lines lw 2 lc rgb '#1f4e9c' title sprintf('mean: slope %.2f [%.2f, %.2f]', -0.063392225918888725, -0.18083788761819319, 0.054053435780415757), \
     median_fit(x) with lines lw 2 dt 4 lc rgb '#2e8b57' title sprintf('median: slope %.2f [%.2f, %.2f]', -0.27410658365594925, -0.76150219396125229, 0.21328902664935379), \
     theory(x) with lines lw 2 dt 2 lc rgb '#c0392b' title "theory: c (log N / N)^{1/2}"
